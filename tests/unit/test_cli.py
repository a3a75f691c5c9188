"""The `inframind` command: help, version, config and inventory checks, token generation, exporter errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from inframind import __version__
from inframind.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_help_lists_subcommands() -> None:
    code, out = run("--help")
    assert code == 0
    for command in ("exporter", "analyzer", "up", "config", "inventory", "tokens", "version"):
        assert f"  {command} " in out


def test_version() -> None:
    assert run("version") == (0, f"inframind {__version__}\n")


def test_exporter_help_lists_collector_flags() -> None:
    code, out = run("exporter", "--help")
    assert code == 0
    for flag in (
        "--collector.cpu / --no-collector.cpu",
        "--collector.smart",
        "--path.procfs",
        "--web.config.file",
        "--listen HOST:PORT",
        "--config FILE",
    ):
        assert flag in out


def test_config_check_ok_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("config", "check")
    assert code == 0 and out.rstrip().endswith("OK") and "<defaults>" in out
    good = tmp_path / "good.yml"
    good.write_text(f"inventory: {ROOT / 'examples' / 'inventory.yml'}\nexporter:\n  collectors: {{smart: false}}\n")
    code, out = run("config", "check", "--config", str(good))
    assert code == 0 and "inventory:" in out and "smart" not in out.split("collectors:")[1].splitlines()[0]
    bad = tmp_path / "bad.yml"
    bad.write_text("exporter:\n  collectors: {cpuu: true}\n  listen: nowhere\n")
    code, out = run("config", "check", "--config", str(bad))
    assert code == 1
    assert f"{bad}:3: exporter.listen: expected HOST:PORT" in out
    # Collector names are checked after the schema; fix the listen error to see it.
    bad.write_text("exporter:\n  collectors: {cpuu: true}\n")
    code, out = run("config", "check", "--config", str(bad))
    assert code == 1 and f"{bad}:2: exporter.collectors.cpuu: unknown collector; expected one of: cpu" in out


def test_config_show_redacts_nothing_secret(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yml"
    cfg.write_text("exporter:\n  listen: 127.0.0.1:9999\n")
    code, out = run("config", "show", "--config", str(cfg))
    assert code == 0 and "listen: 127.0.0.1:9999" in out


def test_inventory_check(tmp_path: Path) -> None:
    code, out = run("inventory", "check", str(ROOT / "examples" / "inventory.yml"))
    assert code == 0 and "OK, 12 assets" in out
    bad = tmp_path / "inv.yml"
    bad.write_text("assets:\n  - id: a\n    kind: vm\n    depends: {runs-on: b}\n")
    code, out = run("inventory", "check", str(bad))
    assert code == 1 and "asset 'a' depends on unknown asset 'b'" in out


def test_tokens_generate_prints_hash_entry() -> None:
    result = CliRunner().invoke(main, ["tokens", "generate", "--name", "grafana", "--role", "viewer"])
    assert result.exit_code == 0
    assert "hash: sha256:" in result.stdout and "role: viewer" in result.stdout
    assert "imt_" not in result.stdout  # the token itself goes to stderr only, once
    assert "imt_" in result.stderr


def test_exporter_reports_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "inframind.cli",
                "exporter",
                "--listen",
                f"127.0.0.1:{port}",
                "--no-collector.smart",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_exporter_rejects_bad_listen() -> None:
    code, out = run("exporter", "--listen", "nowhere")
    assert code == 2 and "expected HOST:PORT" in out


def test_logs_templates_over_a_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "".join(f"Failed password for user{i} from 10.0.0.{i} port 22 ssh2\n" for i in range(30))
        + "disk sda write error\n"
    )
    result = CliRunner().invoke(main, ["logs", "templates", str(log), "--top", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split()[0] == "30" and "Failed password for <*> from <IP> port <NUM> ssh2" in lines[1]
    assert "1 more template" in result.stdout
    missing = CliRunner().invoke(main, ["logs", "templates", str(tmp_path / "none.log")])
    assert missing.exit_code == 1 and "not found" in missing.output
