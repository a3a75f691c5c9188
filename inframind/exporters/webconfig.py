"""TLS and basic auth for exporter endpoints, in the Prometheus exporter-toolkit web config format.

The same file a user already writes for node_exporter's ``--web.config.file`` works here::

    tls_server_config:
      cert_file: server.crt
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert   # optional
      client_ca_file: ca.crt
      min_version: TLS12
    basic_auth_users:
      prometheus: $2y$10$...     # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n')
    http_server_config:
      headers: {X-Frame-Options: deny}

Go-only TLS knobs (cipher_suites, curve_preferences, ...) are rejected rather than silently ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import bcrypt

from inframind.schema import build, load_yaml_file

ClientAuth = Literal[
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
]
TLSVersion = Literal["TLS10", "TLS11", "TLS12", "TLS13"]
_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}


@dataclass(frozen=True)
class TLSServerConfig:
    cert_file: str
    key_file: str
    client_auth_type: ClientAuth = "NoClientCert"
    client_ca_file: str | None = None
    min_version: TLSVersion = "TLS12"
    max_version: TLSVersion = "TLS13"

    def check(self) -> list[tuple[tuple[str, ...], str]]:
        problems: list[tuple[tuple[str, ...], str]] = []
        needs_ca = self.client_auth_type in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert")
        if needs_ca and not self.client_ca_file:
            problems.append((("client_ca_file",), f"required when client_auth_type is {self.client_auth_type}"))
        for name in ("cert_file", "key_file", "client_ca_file"):
            path = getattr(self, name)
            if path and not Path(path).is_file():
                problems.append(((name,), f"file not found: {path}"))
        return problems


@dataclass(frozen=True)
class HTTPServerConfig:
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebConfig:
    tls_server_config: TLSServerConfig | None = None
    http_server_config: HTTPServerConfig = HTTPServerConfig()
    basic_auth_users: Mapping[str, str] = field(default_factory=dict)

    def check(self) -> list[tuple[tuple[str, ...], str]]:
        return [
            (("basic_auth_users", user), "expected a bcrypt hash ($2a$, $2b$ or $2y$)")
            for user, hashed in self.basic_auth_users.items()
            if not hashed.startswith(("$2a$", "$2b$", "$2y$"))
        ]


def load_web_config(path: str | Path) -> WebConfig:
    """Parse and validate a web config file; relative cert paths are taken from the file's folder."""
    data, origin = load_yaml_file(path)
    base = Path(path).parent
    tls = data.get("tls_server_config") if isinstance(data, dict) else None
    if isinstance(tls, dict):
        for key in ("cert_file", "key_file", "client_ca_file"):
            if isinstance(tls.get(key), str) and not Path(tls[key]).is_absolute():
                tls[key] = str(base / tls[key])
    return build(WebConfig, data or {}, origin)


def ssl_context(tls: TLSServerConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = _VERSIONS[tls.min_version]
    ctx.maximum_version = _VERSIONS[tls.max_version]
    ctx.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.client_ca_file:
        ctx.load_verify_locations(tls.client_ca_file)
    ctx.verify_mode = {
        "NoClientCert": ssl.CERT_NONE,
        "RequestClientCert": ssl.CERT_OPTIONAL,
        "RequireAnyClientCert": ssl.CERT_REQUIRED,
        "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
        "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
    }[tls.client_auth_type]
    return ctx


class BasicAuth:
    """Checks ``Authorization: Basic`` against bcrypt hashes, caching successes.

    bcrypt costs ~50-100 ms by design; Prometheus scrapes every 15 s with the same credentials, so
    (like exporter-toolkit) a verified pair is remembered by its SHA-256 and checked in constant time.
    """

    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = dict(users)
        self._verified: set[bytes] = set()
        self._lock = threading.Lock()

    def allows(self, header: str | None) -> bool:
        if not self.users:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, sep, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        if not sep or hashed is None:
            return False
        key = hashlib.sha256(f"{user}\0{password}\0{hashed}".encode()).digest()
        with self._lock:
            if any(hmac.compare_digest(key, k) for k in self._verified):
                return True
        ok = bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
        if ok:
            with self._lock:
                if len(self._verified) > 1024:
                    self._verified.clear()
                self._verified.add(key)
        return ok
