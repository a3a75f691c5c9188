"""Opening an authenticated SSH connection and running one script on it, with errors mapped to reasons.

paramiko's SSHClient does the host key check (known_hosts first, then our policy) and key or password
authentication; no agent and no ``~/.ssh`` keys are consulted, so a probe uses exactly the configured
credentials. Secrets are resolved here, at use. Every wait is bounded by the probe's deadline.
"""

from __future__ import annotations

import io
import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko

from inframind.exporters.probe.base import ProbeError
from inframind.exporters.ssh.hostkeys import HostKeyChanged, PinOnFirstUse, RejectUnknown, UnknownHostKey
from inframind.exporters.ssh.settings import Auth
from inframind.secrets import SecretError

MAX_OUTPUT = 16 * 1024 * 1024
"""A target printing more than this is not answering our script (kernel files are kilobytes)."""
KEEPALIVE = 15
"""Seconds between keepalives on a kept connection: holds NAT state and notices a dead peer."""
TIMER_SLACK = 0.05
"""Seconds by which paramiko may give up before its timeout, as the clock here sees it."""
_KEY_TYPES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
PARAMIKO_LOG = "inframind.exporters.ssh.paramiko"
"""paramiko's transport log for our connections. Its transport thread logs every failed handshake with a
traceback at ERROR, once per scrape of a broken target; the probe already reports the failure with a
reason, so :func:`quiet_paramiko` raises this logger to CRITICAL unless it was configured."""


def quiet_paramiko() -> None:
    logger = logging.getLogger(PARAMIKO_LOG)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.CRITICAL)


class CommandTimeout(Exception):
    """The remote command did not finish before the deadline (the connection itself is fine)."""


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ProbeError("timeout", "the probe's deadline passed")
    return left


def load_private_key(auth: Auth) -> paramiko.PKey | None:
    """The configured key, parsed from the secret's text (OpenSSH or PEM; Ed25519, ECDSA or RSA)."""
    if auth.private_key is None:
        return None
    text = auth.private_key.resolve()
    passphrase = auth.passphrase.resolve() if auth.passphrase is not None else None
    for key_type in _KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise ProbeError("auth", f"private key {auth.private_key.reference} is encrypted: set passphrase") from None
        except (paramiko.SSHException, ValueError):
            continue
    raise ProbeError(
        "auth", f"private key {auth.private_key.reference} is not an Ed25519, ECDSA or RSA key (or wrong passphrase)"
    )


def connect(host: str, port: int, auth: Auth, connect_timeout: float, deadline: float) -> paramiko.SSHClient:
    """An authenticated client; raises ProbeError (auth, refused, timeout, unreachable, protocol)."""
    known_hosts = Path(auth.known_hosts).expanduser()
    client = paramiko.SSHClient()
    client.set_log_channel(PARAMIKO_LOG)
    try:
        if known_hosts.exists():
            client.get_host_keys().load(str(known_hosts))
    except OSError as exc:
        raise ProbeError("auth", f"cannot read known_hosts {known_hosts}: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - paramiko raises InvalidHostKey (a bare Exception) for bad lines
        raise ProbeError("auth", f"known_hosts {known_hosts} has a line that does not parse: {exc}") from None
    started, bound = time.monotonic(), connect_timeout
    try:
        client.set_missing_host_key_policy(
            PinOnFirstUse(known_hosts) if auth.trust_on_first_use else RejectUnknown(known_hosts)
        )
        pkey = load_private_key(auth)
        password = auth.password.resolve() if auth.password is not None else None
        started, bound = time.monotonic(), min(connect_timeout, remaining(deadline))
        client.connect(
            host,
            port,
            username=auth.username,
            pkey=pkey,
            password=password,
            timeout=bound,
            banner_timeout=bound,
            auth_timeout=bound,
            channel_timeout=bound,
            allow_agent=False,
            look_for_keys=False,
        )
    except ProbeError:
        client.close()
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes a bounded reason
        client.close()
        # paramiko's own timeouts surface as assorted SSHExceptions ("No existing session"): go by the clock
        timed_out = time.monotonic() >= min(started + bound, deadline) - TIMER_SLACK
        raise connect_error(exc, f"{host}:{port}", auth, timed_out) from None
    transport = client.get_transport()
    if transport is not None:
        transport.set_keepalive(KEEPALIVE)
    return client


def connect_error(exc: Exception, where: str, auth: Auth, timed_out: bool) -> ProbeError:
    """The bounded reason and an actionable message for a failed connect."""
    if isinstance(exc, SecretError):
        return ProbeError("auth", str(exc))
    if isinstance(exc, UnknownHostKey | HostKeyChanged):
        return ProbeError("auth", str(exc))
    if isinstance(exc, paramiko.BadHostKeyException):
        return ProbeError(
            "auth",
            f"host key of {where} CHANGED: it presented {exc.key.get_name()} {exc.key.fingerprint}, "
            f"{auth.known_hosts} pins {exc.expected_key.fingerprint}; refused (possible man in the middle)",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        return ProbeError("auth", f"{where} rejected the credentials of {auth.username!r}: {exc}")
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        errors = list(exc.errors.values())
        if errors and all(isinstance(e, ConnectionRefusedError) for e in errors):
            return ProbeError("refused", f"{where} refused the connection (is sshd listening on that port?)")
        return ProbeError("unreachable", f"cannot connect to {where}: {exc}")
    if isinstance(exc, socket.gaierror):
        return ProbeError("unreachable", f"cannot resolve {where}: {exc.strerror}")
    if isinstance(exc, TimeoutError) or timed_out:
        return ProbeError("timeout", f"{where} did not complete the SSH handshake in time")
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError("refused", f"{where} refused the connection")
    if isinstance(exc, OSError | EOFError):
        return ProbeError("unreachable", f"connection to {where} failed: {exc}")
    if isinstance(exc, paramiko.SSHException):
        if "timeout" in str(exc).lower():
            return ProbeError("timeout", f"{where}: {exc}")
        return ProbeError("protocol", f"SSH with {where} failed: {exc}")
    return ProbeError("protocol", f"SSH with {where} failed: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Output:
    stdout: str
    stderr: str
    """Only what came before the script's ``exec 2>&1`` (or instead of it): sshd's and the login shell's
    words, such as "Could not chdir to home directory". Kept apart because sshd sends them whenever it
    likes, which in one stream could land in the middle of a section."""


def run(client: paramiko.SSHClient, script: str, deadline: float, open_timeout: float | None = None) -> Output:
    """Run ``script`` with ``sh -s`` on the target and return what it printed.

    ``open_timeout`` bounds opening the channel (a kept connection that went silently dead must not eat
    the whole deadline). Raises CommandTimeout at the deadline, paramiko or OS errors if the link is gone.
    """
    transport = client.get_transport()
    if transport is None or not transport.is_active():
        raise paramiko.SSHException("the connection is closed")
    bound = remaining(deadline) if open_timeout is None else min(open_timeout, remaining(deadline))
    channel = transport.open_session(timeout=bound)
    try:
        channel.settimeout(remaining(deadline))
        channel.exec_command("sh -s")  # nosec B601 - a fixed command; the script goes over stdin, never into a shell line
        channel.sendall(script.encode())
        channel.shutdown_write()
        chunks: list[bytes] = []
        size = 0
        while True:
            channel.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = channel.recv(65536)
            except TimeoutError:
                raise CommandTimeout from None
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise ProbeError("protocol", f"the target printed more than {MAX_OUTPUT} bytes")
            chunks.append(chunk)
        stderr = channel.recv_stderr(65536) if channel.recv_stderr_ready() else b""
        return Output(b"".join(chunks).decode("utf-8", errors="replace"), stderr.decode("utf-8", errors="replace"))
    finally:
        channel.close()
