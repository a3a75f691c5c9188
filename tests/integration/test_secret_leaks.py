"""Planted secrets in every credential field never show up anywhere else.

Credentials go in through the API (every kind and every secret field) and through config references for the
exporter; then every read route, the metrics, the audit log and its export, validation errors, the files on
disk and every log line are searched for the planted values. The one route whose job is to hand a credential
to a collector (``GET /api/v1/auths/{name}``, operator only, audited) is checked to do exactly that, and only that.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from inframind.analyzer.auth import api_routes
from tests.helpers.apiv1 import World, build_world, headers
from tests.helpers.procs import free_port
from tests.helpers.servers import Running

_KEY = (
    ed25519.Ed25519PrivateKey.generate()
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"PLANTED-ssh-pass-a1f0"),
    )
    .decode()
)
PLANTED: dict[str, dict[str, Any]] = {
    "redfish": {"username": "mon", "password": "PLANTED-redfish-password-7f3a"},
    "ipmi": {"username": "mon", "password": "PLANTED-ipmi-password-91c2", "k_g": "PLANTED-ipmi-kg-0b44"},
    "snmp": {
        "version": "3",
        "username": "snmpmon",
        "security_level": "authPriv",
        "auth_protocol": "SHA",
        "auth_password": "PLANTED-snmp-auth-55d1",
        "priv_protocol": "AES",
        "priv_password": "PLANTED-snmp-priv-6e02",
    },
    "ssh": {"username": "mon", "password": "PLANTED-ssh-password-3c9d"},
    "ssh-key": {"username": "mon", "private_key": _KEY, "passphrase": "PLANTED-ssh-pass-a1f0"},
}
SECRETS = [v for cred in PLANTED.values() for k, v in cred.items() if str(v).startswith("PLANTED-")]
SECRETS.append(_KEY.splitlines()[2])  # a line of the key's body: found even inside JSON-escaped text
PARAM = re.compile(r"\{(\w+)\}")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def world(tmp_path: Path) -> tuple[World, dict[str, str]]:
    world = build_world(tmp_path, auth_failure_limit=0)
    ids: dict[str, str] = {}
    for n, (kind, credential) in enumerate(PLANTED.items()):
        body = {"address": f"10.7.0.{n + 1}", "kind": kind.split("-")[0], "credential": credential}
        answer = world.client.post("/api/v1/targets", headers=headers("acme-operator"), json=body)
        assert answer.status_code == 201, (kind, answer.text)
        assert not _leaks(answer.text)
        ids[kind] = answer.json()["id"]
    return world, ids


def test_no_read_route_metric_or_audit_record_shows_a_credential(
    world: tuple[World, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    app, ids = world
    caplog.set_level(logging.DEBUG)
    seen = 0
    for route in api_routes(app.client.app.routes):  # type: ignore[attr-defined]
        if "GET" not in (route.methods or ()) or route.path == "/api/v1/auths/{name}":
            continue
        url = PARAM.sub(lambda m: ids["redfish"] if m.group(1) in ("target_id", "name") else "x", route.path)
        for who in ("admin", "acme-viewer"):
            answer = app.client.get(url, headers=headers(who))
            assert not _leaks(answer.text), f"GET {url} as {who}"
            seen += 1
    assert seen > 40
    for target_id in ids.values():
        answer = app.client.get(f"/api/v1/targets/{target_id}", headers=headers("admin"))
        assert answer.status_code == 200 and answer.json()["credential"]["stored"] is True
    export = app.client.get("/api/v1/audit/export", headers=headers("admin"))
    assert export.status_code == 200 and export.text.count("\n") >= len(PLANTED)
    assert not _leaks(export.text)
    assert not _leaks(app.client.get("/metrics").text)
    assert not _leaks("\n".join(r.getMessage() for r in caplog.records))


def test_errors_never_echo_a_credential(world: tuple[World, dict[str, str]]) -> None:
    app, _ = world
    bad = [
        {"address": "10.7.9.1", "kind": "redfish", "credential": {"password": SECRETS[0]}},  # no username
        {"address": "10.7.9.2", "kind": "snmp", "credential": {**PLANTED["snmp"], "auth_protocol": SECRETS[3]}},
        {"address": SECRETS[1] + " !", "kind": "ipmi", "credential": PLANTED["ipmi"]},
        {"address": "10.7.9.3", "kind": "redfish", "credential": PLANTED["redfish"], "labels": {"x": SECRETS[0] * 20}},
    ]
    for body in bad:
        answer = app.client.post("/api/v1/targets", headers=headers("acme-operator"), json=body)
        assert answer.status_code == 422, answer.text
        assert not _leaks(answer.text), answer.text


def test_the_credential_route_serves_only_its_tenants_operators(world: tuple[World, dict[str, str]]) -> None:
    app, ids = world
    own = app.client.get(f"/api/v1/auths/{ids['snmp']}", headers=headers("acme-operator"))
    assert own.status_code == 200 and own.json()["settings"]["priv_password"] == PLANTED["snmp"]["priv_password"]
    for who in ("acme-viewer", "globex-operator"):
        other = app.client.get(f"/api/v1/auths/{ids['snmp']}", headers=headers(who))
        assert other.status_code in (403, 404) and not _leaks(other.text)
    reads = app.client.get("/api/v1/audit", params={"action": "secret.read"}, headers=headers("admin")).json()
    assert reads["total"] >= 1 and not _leaks(str(reads))


def test_nothing_on_disk_holds_a_credential_in_clear(world: tuple[World, dict[str, str]], tmp_path: Path) -> None:
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)
    for path in files:
        data = path.read_bytes()
        assert not [s for s in SECRETS if s.encode() in data], path


def test_the_exporter_never_shows_a_configured_secret(tmp_path: Path) -> None:
    """A real exporter process probes dead devices with configured auths (env references holding planted
    values, at debug log level); its answers, its metrics and its log never show them."""
    conf = tmp_path / "inframind.yml"
    conf.write_text(
        "log:\n  level: debug\n"
        "exporter:\n  auths:\n"
        "    bmc: {type: redfish, username: mon, password: env:PLANTED_BMC}\n"
        "    sw: {type: snmp, version: '2c', community: env:PLANTED_COMMUNITY}\n"
        "    ipmi: {type: ipmi, username: mon, password: env:PLANTED_IPMI}\n"
    )
    planted = {"PLANTED_BMC": SECRETS[0], "PLANTED_COMMUNITY": SECRETS[4], "PLANTED_IPMI": SECRETS[1]}
    port = free_port()
    argv = [sys.executable, "-m", "inframind.cli", "exporter", "--config", str(conf), "--listen", f"127.0.0.1:{port}",
            "--no-collector.smart"]  # fmt: skip
    server = Running("exporter-secrets", argv, tmp_path / "logs", f"http://127.0.0.1:{port}", env=planted, cwd=tmp_path)
    try:
        server.wait_http(server.url + "/-/healthy")
        for module, auth in (("redfish", "bmc"), ("if_mib", "sw"), ("ipmi", "ipmi"), ("ipmi", "bmc")):
            answer = requests.get(
                server.url + "/probe", params={"target": "127.0.0.1:1", "module": module, "auth": auth}, timeout=60
            )
            assert answer.status_code in (200, 400), answer.text
            assert not _leaks(answer.text), (module, auth, answer.text)
        assert not _leaks(requests.get(server.url + "/metrics", timeout=30).text)
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "probe" in log.lower() or "listening" in log
    assert not _leaks(log)
