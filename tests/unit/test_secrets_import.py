"""``inframind secrets import``: an earlier InfraMind's export, encrypted with its APP_SECRET_KEY, becomes API
targets whose credentials are sealed with our key; failures are listed per entry and never show a value."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from inframind.analyzer.targets_api_store import TARGETS_FILE, SQLiteTargetStore
from inframind.cli import main
from inframind.secretstore import SecretBox

PASSPHRASE = "old-app-secret-key-from-2024"
OLD = Fernet(base64.urlsafe_b64encode(hashlib.sha256(PASSPHRASE.encode()).digest()))
NEW_KEY = Fernet.generate_key().decode()


def _export(tmp_path: Path) -> Path:
    whole = OLD.encrypt(
        json.dumps(
            {
                "version": "3",
                "username": "snmpmon",
                "security_level": "authPriv",
                "auth_protocol": "SHA",
                "auth_password": "auth-pw-123",
                "priv_protocol": "AES",
                "priv_password": "priv-pw-456",
            }
        ).encode()
    )
    lines = [
        {"address": "10.1.0.5", "kind": "redfish", "labels": {"room": "a1"},
         "credential": {"username": "mon", "password": OLD.encrypt(b"bmc-pw-789").decode()}},
        {"address": "10.1.0.6", "kind": "snmp", "module": "if_mib", "tenant": "globex", "credential": whole.decode()},
        {"address": "10.1.0.7", "kind": "redfish",
         "credential": {"username": "mon", "password": Fernet(Fernet.generate_key()).encrypt(b"other-pw").decode()}},
        {"address": "not an address!", "kind": "redfish"},
    ]  # fmt: skip
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    return path


def test_import_reseals_credentials_and_lists_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SECRET_KEY", PASSPHRASE)
    monkeypatch.setenv("INFRAMIND_SECRET_KEY", NEW_KEY)
    conf = tmp_path / "inframind.yml"
    conf.write_text(f"analyzer:\n  state_dir: {tmp_path / 'state'}\n")
    result = CliRunner().invoke(main, ["secrets", "import", str(_export(tmp_path)), "--config", str(conf)])
    assert result.exit_code == 1, result.output
    assert "imported 2 target(s)" in result.stdout and "3 skipped" in result.stdout
    assert "line 3: credential.password does not decrypt with APP_SECRET_KEY" in result.stderr
    assert "line 4: invalid address" in result.stderr and "line 5: not JSON" in result.stderr
    for secret in ("bmc-pw-789", "auth-pw-123", "priv-pw-456", "other-pw", PASSPHRASE):
        assert secret not in result.output
    store = SQLiteTargetStore(tmp_path / "state" / TARGETS_FILE)
    box = SecretBox([NEW_KEY.encode()])
    sealed = dict(store.all_sealed())
    assert len(sealed) == 2
    opened = sorted((box.open(v) for v in sealed.values()), key=lambda d: str(d.get("username")))
    assert opened[0]["password"] == "bmc-pw-789"
    assert opened[1]["auth_password"] == "auth-pw-123"
    raw = (tmp_path / "state" / TARGETS_FILE).read_bytes()
    assert b"bmc-pw-789" not in raw and b"auth-pw-123" not in raw
    store.close()


def test_a_fernet_app_key_is_used_as_is_and_a_missing_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key()
    export = tmp_path / "e.json"
    token = Fernet(key).encrypt(b"pw").decode()
    export.write_text(
        json.dumps([{"address": "10.2.0.1", "kind": "redfish", "credential": {"username": "u", "password": token}}])
    )
    conf = tmp_path / "inframind.yml"
    conf.write_text(f"analyzer:\n  state_dir: {tmp_path / 'state'}\n")
    monkeypatch.setenv("OLD_KEY", key.decode())
    monkeypatch.delenv("INFRAMIND_SECRET_KEY", raising=False)
    args = ["secrets", "import", str(export), "--legacy-key", "env:OLD_KEY", "--config", str(conf)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "no encryption key is configured" in refused.stderr
    monkeypatch.setenv("INFRAMIND_SECRET_KEY", NEW_KEY)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0 and "imported 1 target(s)" in done.stdout
