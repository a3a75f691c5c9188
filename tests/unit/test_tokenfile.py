"""Tokens made and revoked by ``inframind tokens``: hashes at rest, expiry, revocation seen without a restart."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from inframind.cli import main
from inframind.tokenfile import TokenFile, TokenFileError
from inframind.tokens import hash_token

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_create_stores_only_the_hash_with_mode_0600(tmp_path: Path) -> None:
    store = TokenFile(tmp_path / "tokens.yml")
    token, record = store.create("ci", "operator", "acme", now=NOW, lifetime=dt.timedelta(days=30))
    text = store.path.read_text()
    assert token not in text and hash_token(token) in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert record.expires == NOW + dt.timedelta(days=30)
    [active] = store.active_tokens(NOW)
    assert (active.name, active.role, active.tenant, active.hash) == ("ci", "operator", "acme", hash_token(token))
    assert store.active_tokens(NOW + dt.timedelta(days=31)) == []


def test_revocation_is_seen_by_a_reader_that_already_loaded(tmp_path: Path) -> None:
    writer, reader = TokenFile(tmp_path / "t.yml"), TokenFile(tmp_path / "t.yml")
    writer.create("a", "viewer", "acme", now=NOW, lifetime=None)
    writer.create("b", "admin", "acme", now=NOW, lifetime=None)
    assert [t.name for t in reader.active_tokens(NOW)] == ["a", "b"]
    writer.revoke("a", now=NOW)
    assert [t.name for t in reader.active_tokens(NOW)] == ["b"]
    assert reader.load()[0].revoked == NOW


def test_names_are_unique_among_active_tokens_and_revoke_names_missing_ones(tmp_path: Path) -> None:
    store = TokenFile(tmp_path / "t.yml")
    store.create("a", "viewer", "acme", now=NOW, lifetime=None)
    with pytest.raises(TokenFileError, match="active token named 'a' exists"):
        store.create("a", "viewer", "acme", now=NOW, lifetime=None)
    with pytest.raises(TokenFileError, match="no unrevoked token named 'zz'"):
        store.revoke("zz", now=NOW)
    store.revoke("a", now=NOW)
    store.create("a", "viewer", "acme", now=NOW, lifetime=None)  # a revoked name may be reused


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "t.yml"
    path.write_text("tokens:\n  - {name: x, role: root}\n")
    with pytest.raises(TokenFileError, match=r"t\.yml: tokens\[0\] needs name"):
        TokenFile(path).load()


def test_cli_create_list_revoke(tmp_path: Path) -> None:
    path = str(tmp_path / "t.yml")
    runner = CliRunner()
    created = runner.invoke(main, ["tokens", "create", "--name", "grafana", "--role", "viewer", "--file", path])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("imt_") and token not in Path(path).read_text()
    listed = runner.invoke(main, ["tokens", "list", "--file", path])
    assert "grafana\tviewer\tdefault\tactive" in listed.output and token not in listed.output
    assert runner.invoke(main, ["tokens", "revoke", "grafana", "--file", path]).exit_code == 0
    assert "\trevoked\t" in runner.invoke(main, ["tokens", "list", "--file", path]).output
    again = runner.invoke(main, ["tokens", "revoke", "grafana", "--file", path])
    assert again.exit_code == 1 and "no unrevoked token" in again.output
    bad = runner.invoke(main, ["tokens", "create", "--name", "x", "--expires", "soon", "--file", path])
    assert bad.exit_code == 2 and "--expires" in bad.output
