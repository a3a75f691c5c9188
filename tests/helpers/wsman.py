"""A WS-Management (WinRS) endpoint on 127.0.0.1 that answers like a real Windows host, for pywinrm.

No WinRM server can run here. This server answers the five WinRS operations pywinrm sends (Create shell,
Command, Receive, Signal, Delete) with envelopes built in the exact shape of the recordings in
``shared/fixtures/winrm`` (pypsrp's recordings of a real Windows host for the responses: ``x:ResourceCreated``
with ``rsp:Shell``, ``rsp:CommandResponse``, ``rsp:ReceiveResponse`` with base64 ``rsp:Stream`` chunks and a
``CommandState`` Done with ``ExitCode``, ``SignalResponse``, ``DeleteResponse``; pywinrm's fault fixtures for
``s:Fault`` with ``WSManFault``), so the real pywinrm transport runs against it end to end over HTTP(S).

It authenticates with Basic, or with NTLM over HTTPS (pyspnego's acceptor, with channel binding to the
server certificate); a wrong or missing password is a 401 with ``WWW-Authenticate``, as WinRM answers.
Kerberos, and NTLM over HTTP (where WinRM wraps every message in NTLM encryption), are not emulated.

It records every operation and decodes each command's ``-EncodedCommand`` (UTF-16LE, base64) so a test
can read the exact script the client sent. What a command prints comes from a ``run(script)`` callback
(see :mod:`tests.helpers.winhost`); envelopes are built by :mod:`tests.helpers.wsman_soap`.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import spnego
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import SpnegoError

from tests.helpers.redfish import Certificates
from tests.helpers.wsman_soap import NS, SHELL, TRANSFER, created, decode_encoded_command, fault, received, reply


@dataclass(frozen=True)
class CommandOutput:
    stdout: bytes
    stderr: bytes = b""
    exit_code: int = 0


@dataclass
class Captured:
    """One Command request as the server received it."""

    shell_id: str
    command: str
    arguments: list[str]
    skip_cmd_shell: str | None
    script: str | None
    """The PowerShell script decoded from ``-EncodedCommand``, if the command carried one."""


Run = Callable[[str], CommandOutput]


@dataclass
class _Command:
    stdout: list[bytes]
    stderr: bytes
    exit_code: int
    receives: int = 0


@dataclass
class WSManReplay:
    run: Run
    username: str = "inframind"
    password: str = "Winrm-p4ss"
    tls: Certificates | None = None
    chunk: int = 2048
    """stdout is sent in base64 chunks of this many bytes, over two Receive responses when it has several."""
    failure: tuple[int, bytes] | None = None
    """(status, body) to answer every authenticated request with, e.g. (500, fault(...))."""
    actions: list[str] = field(default_factory=list)
    commands: list[Captured] = field(default_factory=list)
    shell_options: list[dict[str, str]] = field(default_factory=list)
    open_shells: set[str] = field(default_factory=set)
    auth_failures: int = 0
    auth: Literal["basic", "ntlm"] = "basic"
    """ntlm: an NTLM acceptor (pyspnego) checks the user in the file NTLM_USER_FILE names (DOMAIN:USER:PASSWORD
    lines) and the TLS channel binding; HTTPS only, since over HTTP WinRM would also encrypt each message."""
    ntlm_users: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.auth == "ntlm" and self.tls is None:
            raise ValueError("NTLM is emulated over HTTPS only (WinRM encrypts NTLM messages over HTTP)")
        self.lock = threading.Lock()
        self._running: dict[str, _Command] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.cert, self.tls.key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="wsman", daemon=True)
        self.thread.start()

    def channel_bindings(self) -> GssChannelBindings | None:
        """tls-server-end-point of the server certificate (RFC 5929), which NTLM clients bind to (CBT)."""
        if self.tls is None:
            return None
        der = ssl.PEM_cert_to_DER_cert(self.tls.cert.read_text())
        return GssChannelBindings(application_data=b"tls-server-end-point:" + hashlib.sha256(der).digest())

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def address(self) -> str:
        return f"http{'s' if self.tls else ''}://127.0.0.1:{self.port}/wsman"

    @property
    def scripts(self) -> list[str]:
        return [c.script for c in self.commands if c.script is not None]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # ------------------------------------------------------------ operations

    def answer(self, body: bytes) -> tuple[int, bytes]:
        root = ET.fromstring(body)
        action = root.findtext("s:Header/a:Action", "", NS)
        message_id = root.findtext("s:Header/a:MessageID", "", NS)
        shell_id = root.findtext("s:Header/w:SelectorSet/w:Selector[@Name='ShellId']", "", NS)
        name = action.rsplit("/", 1)[-1]
        with self.lock:
            self.actions.append(name)
        if name == "Create":
            options = {o.get("Name", ""): o.text or "" for o in root.iterfind("s:Header/w:OptionSet/w:Option", NS)}
            shell_id = str(uuid.uuid4()).upper()
            with self.lock:
                self.shell_options.append(options)
                self.open_shells.add(shell_id)
            return 200, created(message_id, self.address, shell_id, self.username)
        if shell_id not in self.open_shells:
            return 500, fault(f"The request for the Windows Remote Shell with ShellId {shell_id} failed because "
                              "the shell was not found on the server.")  # fmt: skip
        if name == "Command":
            return 200, self._command(root, message_id, shell_id)
        if name == "Receive":
            command_id = root.find("s:Body/rsp:Receive/rsp:DesiredStream", NS)
            return self._receive(message_id, "" if command_id is None else command_id.get("CommandId", ""))
        if name == "Signal":
            signal = root.find("s:Body/rsp:Signal", NS)
            with self.lock:
                self._running.pop("" if signal is None else signal.get("CommandId", ""), None)
            return 200, reply(f"{SHELL}/SignalResponse", message_id, "<rsp:SignalResponse/>")
        if name == "Delete":
            with self.lock:
                self.open_shells.discard(shell_id)
            return 200, reply(f"{TRANSFER}/DeleteResponse", message_id, "")
        return 500, fault(f"unsupported action {action}")

    def _command(self, root: ET.Element, message_id: str, shell_id: str) -> bytes:
        command = root.findtext("s:Body/rsp:CommandLine/rsp:Command", "", NS)
        arguments = [a.text or "" for a in root.iterfind("s:Body/rsp:CommandLine/rsp:Arguments", NS)]
        arguments = " ".join(arguments).split()
        skip = root.findtext("s:Header/w:OptionSet/w:Option[@Name='WINRS_SKIP_CMD_SHELL']", None, NS)
        if command.lower().startswith("powershell ") and not arguments:  # Session.run_ps puts all in Command
            command, *arguments = command.split()
        script = decode_encoded_command(arguments)
        output = self.run(script) if script is not None else CommandOutput(b"", b"not a PowerShell command", 1)
        chunks = [output.stdout[i : i + self.chunk] for i in range(0, len(output.stdout), self.chunk)]
        command_id = str(uuid.uuid4()).upper()
        with self.lock:
            self.commands.append(Captured(shell_id, command, arguments, skip, script))
            self._running[command_id] = _Command(chunks, output.stderr, output.exit_code)
        body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        return reply(f"{SHELL}/CommandResponse", message_id, body)

    def _receive(self, message_id: str, command_id: str) -> tuple[int, bytes]:
        with self.lock:
            state = self._running.get(command_id)
            if state is None:
                return 500, fault(f"The command {command_id} was not found on the server.")
            state.receives += 1
            half = (len(state.stdout) + 1) // 2
            done = state.receives > 1 or len(state.stdout) <= 1
            sent, state.stdout = (state.stdout, []) if done else (state.stdout[:half], state.stdout[half:])
        return 200, received(message_id, command_id, sent, (state.stderr, state.exit_code) if done else None)


def _handler(replay: WSManReplay) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{replay.username}:{replay.password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        ntlm: spnego.ContextProxy | None = None
        """This connection's NTLM acceptor: NTLM authenticates a connection, not a request, as on IIS."""
        authenticated = False

        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self) -> None:
            with replay.lock:
                replay.auth_failures += 1
            self.ntlm = None
            self._send(401, b"", {"WWW-Authenticate": "Negotiate" if replay.auth == "ntlm" else 'Basic realm="WSMAN"'})

        def _authenticate(self) -> bool | None:
            """True to serve the request, False refused, None while an NTLM handshake is under way."""
            header = self.headers.get("Authorization", "")
            if replay.auth == "basic" or self.authenticated:
                return replay.auth != "basic" or header == expected
            scheme, _, token = header.partition(" ")
            if scheme not in ("Negotiate", "NTLM") or not token:
                return False
            self.ntlm = self.ntlm or spnego.server(protocol="ntlm", channel_bindings=replay.channel_bindings())
            try:
                answer = self.ntlm.step(base64.b64decode(token))
            except SpnegoError:
                return False
            if not self.ntlm.complete:
                self._send(401, b"", {"WWW-Authenticate": f"{scheme} {base64.b64encode(answer or b'').decode()}"})
                return None
            self.authenticated = True
            with replay.lock:
                replay.ntlm_users.append(str(self.ntlm.client_principal))
            return True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.rstrip("/") != "/wsman":
                self._send(404, b"")
                return
            allowed = self._authenticate()
            if allowed is None:
                return
            if not allowed:
                self._refuse()
            elif replay.failure is not None:
                self._send(*replay.failure)
            else:
                self._send(*replay.answer(body))

    return Handler
