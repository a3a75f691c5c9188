"""Redfish test servers on 127.0.0.1 (sushy-static with the real captures, sushy-emulator) and our /probe.

- :func:`start_static` serves a mockup tree (``<mockup>/redfish/v1``) from ../shared/fixtures/redfish, or a
  copy edited in tmp_path with :func:`copy_mockup`; :func:`start_emulator` runs ``sushy-emulator --fake``,
  with real basic auth (an htpasswd file) and TLS when asked.
- :func:`probe_exporter` serves our /probe (ProbeService behind ExporterHTTP) on a loopback port.
- sushy-tools 2.2 has no SessionService: :mod:`tests.helpers.redfish_sessions` puts one in front.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import shutil
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from inframind.exporters.probe import base
from tests.helpers.procs import free_port, wait_until
from tests.helpers.servers import Running

Json = dict[str, Any]
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "redfish"
REDFISH_SPEC = base.ProberSpec("redfish", "inframind.exporters.redfish.settings", "inframind.exporters.redfish.prober")


def tree(mockup: str) -> Path:
    """The folder that stands for /redfish/v1 in a stored mockup, e.g. ``csm-emulator/DL325``."""
    return FIXTURES / mockup / "redfish" / "v1"


def resource(mockup: str | Path, uri: str) -> Json:
    """The stored answer for ``uri`` in a mockup tree, read the way sushy-static reads it."""
    root = mockup if isinstance(mockup, Path) else tree(mockup)
    rest = uri.split("#", 1)[0].rstrip("/").removeprefix("/redfish/v1").lstrip("/")
    data: Json = json.loads((root / rest / "index.json").read_text(encoding="utf-8"))
    return data


def flat(name: str) -> Json:
    """A single-resource sample (lambdalabs/sampleOut, sushy/json_samples, dmtf/DSP2046-examples)."""
    data: Json = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def copy_mockup(mockup: str, dest: Path, edits: Mapping[str, Callable[[Json], None]]) -> Path:
    """A copy of a stored tree with some resources edited in place; returns the folder for /redfish/v1."""
    shutil.copytree(tree(mockup), dest)
    for uri, edit in edits.items():
        data = resource(dest, uri)
        edit(data)
        rest = uri.rstrip("/").removeprefix("/redfish/v1").lstrip("/")
        (dest / rest / "index.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return dest


# ---------------------------------------------------------------- TLS material


@dataclass(frozen=True)
class Certificates:
    ca: Path
    """The CA that signed the server certificate (what a user gives as ca_file)."""
    cert: Path
    key: Path


def make_certificates(directory: Path) -> Certificates:
    """A private CA and a server certificate it signed for IP 127.0.0.1, like a site's own BMC CA."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "InfraMind test BMC CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(directory / "ca.pem", directory / "bmc.pem", directory / "bmc.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


# ---------------------------------------------------------------- sushy-tools


def _sushy(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if not path.is_file():
        pytest.fail(f"{name} not found beside {sys.executable}: pip install sushy-tools (PyPI) into the venv")
    return str(path)


def _wait(server: Running) -> None:
    def ready() -> bool:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return requests.get(server.url + "/redfish/v1/", timeout=2, verify=False).status_code == 200

    if not wait_until(ready, 30.0):
        server.stop()
        pytest.fail(f"{server.name} did not answer {server.url}/redfish/v1/ within 30s:\n{server.log_tail()}")


def start_static(root: Path, log_dir: Path, tls: Certificates | None = None) -> Running:
    """``sushy-static -m <root>``: the stored answers of a real BMC, GET only (POST answers 204)."""
    port = free_port()
    argv = [_sushy("sushy-static"), "-i", "127.0.0.1", "-p", str(port), "-m", str(root)]
    if tls is not None:
        argv += ["-c", str(tls.cert), "-k", str(tls.key)]
    scheme = "https" if tls else "http"
    server = Running(f"sushy-static-{root.parent.parent.name}", argv, log_dir, f"{scheme}://127.0.0.1:{port}")
    _wait(server)
    return server


def start_emulator(log_dir: Path, users: Mapping[str, str] | None = None, tls: Certificates | None = None) -> Running:
    """``sushy-emulator --fake``; with ``users`` it enforces basic auth from a bcrypt htpasswd file."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [_sushy("sushy-emulator"), "--fake", "-i", "127.0.0.1", "-p", str(port)]
    if users:
        htpasswd = log_dir / "htpasswd"
        htpasswd.write_text(
            "".join(f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()}\n" for u, p in users.items())
        )
        config = log_dir / "emulator.conf"
        config.write_text(f"SUSHY_EMULATOR_AUTH_FILE = {str(htpasswd)!r}\n")
        argv += ["--config", str(config)]
    if tls is not None:
        argv += ["--ssl-certificate", str(tls.cert), "--ssl-key", str(tls.key)]
    scheme = "https" if tls else "http"
    server = Running("sushy-emulator", argv, log_dir, f"{scheme}://127.0.0.1:{port}")
    _wait(server)
    return server
