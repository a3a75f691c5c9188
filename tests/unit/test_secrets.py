"""Secret references resolve at use and never show their value in repr, errors or logs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from inframind.logsetup import setup_logging
from inframind.schema import ConfigError, build
from inframind.secrets import SecretError, SecretRef, scrub


@dataclass(frozen=True)
class WithSecret:
    password: SecretRef


def test_env_and_file_references(tmp_path: Path) -> None:
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file-value\n")
    assert SecretRef.from_config("env:PW").resolve({"PW": "from-env-value"}) == "from-env-value"
    assert SecretRef.from_config(f"file:{secret_file}").resolve() == "from-file-value"


def test_repr_and_str_never_show_value() -> None:
    ref = SecretRef.from_config("env:PW")
    ref.resolve({"PW": "hunter2-very-secret"})
    assert "hunter2" not in repr(ref) and "hunter2" not in str(ref)
    assert repr(ref) == "SecretRef(<redacted>)"
    assert "hunter2" not in repr(WithSecret(ref))


def test_literal_secret_is_rejected_without_echo() -> None:
    with pytest.raises(ConfigError) as err:
        build(WithSecret, {"password": "hunter2-literal"})
    assert "hunter2" not in str(err.value)
    assert "password: expected a secret reference" in str(err.value)


def test_unresolvable_references_name_the_reference(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="env:NOPE: environment variable NOPE is not set"):
        SecretRef.from_config("env:NOPE").resolve({})
    with pytest.raises(SecretError, match="cannot read file"):
        SecretRef.from_config(f"file:{tmp_path / 'none'}").resolve()


def test_resolved_values_are_scrubbed_from_logs(capsys: pytest.CaptureFixture[str]) -> None:
    value = SecretRef.from_config("env:TOKEN").resolve({"TOKEN": "s3cr3t-token-value"})
    setup_logging("info")
    logging.getLogger("test").error("login with %s failed", value)
    try:
        raise RuntimeError(f"boom {value}")
    except RuntimeError:
        logging.getLogger("test").exception("while connecting")
    err = capsys.readouterr().err
    assert "s3cr3t-token-value" not in err
    assert err.count("<redacted>") == 2
    assert scrub(f"x {value} y") == "x <redacted> y"
