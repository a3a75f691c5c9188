"""The WinRM edge: one WinRS shell per poll, one PowerShell command per channel, through pywinrm.

pywinrm's ``Session.run_ps`` opens and deletes a shell for every command and waits for output without a
bound; here the shell is shared by a poll's channels, opened with code page 65001, the command skips
cmd.exe (no 8191-character limit, no quoting by cmd), and a command that never finishes ends at a
deadline. Every failure becomes an :class:`EventLogError` whose message says what to check: a poll that
fails is reported and tried again at the next interval, never a crash.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import requests
from winrm.exceptions import (
    AuthenticationError,
    InvalidCredentialsError,
    WinRMError,
    WinRMOperationTimeoutError,
    WinRMTransportError,
    WSManFaultError,
)
from winrm.protocol import Protocol as WinRMProtocol

from inframind.agent.eventlog.script import powershell_arguments
from inframind.config.agent import EventLogTarget
from inframind.secrets import SecretError

log = logging.getLogger(__name__)

ErrorKind = Literal["auth", "tls", "connect", "protocol", "command", "config"]


class EventLogError(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class CommandResult:
    stdout: bytes
    stderr: bytes
    exit_code: int


class Shell(Protocol):
    def run(self, script: str) -> CommandResult: ...


Connect = Callable[[], AbstractContextManager[Shell]]
"""Opens a shell on the target for the length of a ``with`` block (the source's only IO dependency)."""


def endpoint_url(target: EventLogTarget) -> str:
    port = target.port or (5986 if target.scheme == "https" else 5985)
    host = target.host
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name, used as it is
    return f"{target.scheme}://{host}:{port}/wsman"


def check_transport(target: EventLogTarget) -> None:
    """Raise EventLogError (kind config) when the configured auth cannot work on this installation."""
    if target.transport == "basic" and target.scheme == "http":
        log.warning("eventlog target %s: basic auth over http sends the password in clear; use https", target.host)
    if target.transport == "kerberos":
        from winrm import transport as winrm_transport

        if not winrm_transport.HAVE_KERBEROS:
            raise EventLogError(
                "config",
                f"eventlog target {target.host}: transport kerberos needs pykerberos, which is not installed; "
                "install it with: pip install 'pywinrm[kerberos]' (and give the agent a ticket: kinit or a keytab)",
            )


class PyWinRMShell:
    def __init__(self, protocol: WinRMProtocol, shell_id: str, deadline_seconds: float) -> None:
        self.protocol, self.shell_id, self.deadline_seconds = protocol, shell_id, deadline_seconds

    def run(self, script: str) -> CommandResult:
        command_id = self.protocol.run_command(
            self.shell_id, "powershell.exe", powershell_arguments(script), skip_cmd_shell=True
        )
        try:
            result = self._receive(command_id)
        except BaseException:
            _quietly(lambda: self.protocol.cleanup_command(self.shell_id, command_id), "cleanup_command")
            raise
        self.protocol.cleanup_command(self.shell_id, command_id)
        return result

    def _receive(self, command_id: str) -> CommandResult:
        stdout: list[bytes] = []
        stderr: list[bytes] = []
        deadline = time.monotonic() + self.deadline_seconds
        while True:
            try:
                out, err, code, done = self.protocol.get_command_output_raw(self.shell_id, command_id)
            except WinRMOperationTimeoutError:  # no output within the operation timeout: ask again
                out, err, code, done = b"", b"", -1, False
            stdout.append(out)
            stderr.append(err)
            if done:
                return CommandResult(b"".join(stdout), b"".join(stderr), code)
            if time.monotonic() > deadline:
                raise EventLogError("command", f"Get-WinEvent did not finish in {self.deadline_seconds:.0f} s")


def _quietly(call: Callable[[], None], what: str) -> None:
    """Tidy up after a failure without hiding it: a second error (the host is gone) is only logged."""
    try:
        call()
    except (WinRMError, WinRMTransportError, requests.RequestException, AssertionError) as exc:
        log.debug("%s after a failed command also failed: %s", what, exc)


def pywinrm_connect(
    target: EventLogTarget,
    env: Mapping[str, str] | None = None,
    operation_timeout: int = 20,
    read_timeout: int = 30,
    deadline_seconds: float = 120.0,
) -> Connect:
    """A Connect for ``target``; the password is resolved at each connection, so a rotated one is picked up."""
    check_transport(target)
    url = endpoint_url(target)

    @contextmanager
    def connect() -> Iterator[Shell]:
        with translate_errors(target, url):
            protocol = WinRMProtocol(
                url,
                transport=target.transport,
                username=target.username,
                password=target.password.resolve(env),
                server_cert_validation="validate" if target.verify_tls else "ignore",
                ca_trust_path=target.ca_file or None,  # type: ignore[arg-type]  # None: requests' own CA bundle
                operation_timeout_sec=operation_timeout,
                read_timeout_sec=read_timeout,
                proxy=None,
            )
            shell_id = protocol.open_shell(codepage=65001, noprofile=True)
            try:
                yield PyWinRMShell(protocol, shell_id, deadline_seconds)
            except BaseException:
                _quietly(lambda: protocol.close_shell(shell_id), "close_shell")
                raise
            protocol.close_shell(shell_id)

    return connect


@contextmanager
def translate_errors(target: EventLogTarget, url: str) -> Iterator[None]:
    """pywinrm's, requests' and secret errors as EventLogErrors that say what to check."""
    who = f"{target.username}@{url}"
    try:
        yield
    except EventLogError:
        raise
    except (InvalidCredentialsError, AuthenticationError) as exc:
        raise EventLogError(
            "auth",
            f"authentication failed for {who} (HTTP 401, {target.transport}): check the user name and password, "
            f"that the user may use WinRM (Remote Management Users or Administrators, and Event Log Readers), "
            f"and that {target.transport} auth is enabled on the listener ({exc})",
        ) from None
    except WSManFaultError as exc:
        raise EventLogError("protocol", f"WS-Management fault from {url}: {exc.reason} (HTTP {exc.code})") from None
    except WinRMTransportError as exc:
        body = " ".join(exc.response_text.split())[:200]
        raise EventLogError("protocol", f"HTTP {exc.code} from {url}: {body or 'no body'}") from None
    except WinRMError as exc:
        raise EventLogError("protocol", f"WinRM error from {url}: {exc}") from None
    except requests.exceptions.SSLError as exc:
        hint = "set ca_file to the CA that signed the listener's certificate" if target.verify_tls else ""
        raise EventLogError("tls", f"TLS to {url} failed: {hint or exc}; ({type(exc).__name__})") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise EventLogError("connect", f"cannot reach {url}: {type(exc).__name__}; is WinRM listening?") from None
    except requests.RequestException as exc:
        raise EventLogError("connect", f"request to {url} failed: {exc}") from None
    except SecretError as exc:
        raise EventLogError("config", str(exc)) from None
