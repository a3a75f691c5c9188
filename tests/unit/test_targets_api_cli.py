"""``inframind secrets keygen`` and ``rotate``: a usable key, and stored API credentials re-encrypted in place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.fernet import Fernet

from inframind.analyzer.targets_api_model import ApiTarget
from inframind.analyzer.targets_api_store import TARGETS_FILE, SQLiteTargetStore
from inframind.cli_secrets import secrets_group
from inframind.secretstore import SecretBox

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def test_keygen_prints_a_fernet_key() -> None:
    result = CliRunner().invoke(secrets_group, ["keygen"])
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())


def test_rotate_reencrypts_with_the_first_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    store = SQLiteTargetStore(tmp_path / TARGETS_FILE)
    target = ApiTarget("t-1", "acme", "10.0.0.1", "redfish", "redfish", 60.0, "bmc-1", credential_fields=("password",),
                       created_at=NOW, updated_at=NOW)  # fmt: skip
    store.put(target, SecretBox([old]).seal({"password": "pw"}))
    store.close()
    config = tmp_path / "inframind.yml"
    config.write_text(yaml.safe_dump({"analyzer": {"state_dir": str(tmp_path)}}))
    monkeypatch.setenv("INFRAMIND_SECRET_KEY", f"{new.decode()},{old.decode()}")
    result = CliRunner().invoke(secrets_group, ["rotate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "re-encrypted 1 credential(s); 0 already used the first key"
    reopened = SQLiteTargetStore(tmp_path / TARGETS_FILE)
    assert SecretBox([new]).open(next(iter(reopened.all_sealed()))[1]) == {"password": "pw"}
    reopened.close()
    monkeypatch.delenv("INFRAMIND_SECRET_KEY")
    refused = CliRunner().invoke(secrets_group, ["rotate", "--config", str(config)])
    assert refused.exit_code == 1 and "no encryption key" in refused.output
