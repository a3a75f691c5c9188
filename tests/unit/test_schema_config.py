"""Config loading: every error names the file, line and field; env overrides; defaults with no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.config import Config, load_config
from inframind.schema import ConfigError, HostPort, parse_duration, to_plain


def write(tmp_path: Path, text: str, name: str = "inframind.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(None, env={}, cwd=tmp_path)
    assert config == Config()
    assert config.exporter.listen == HostPort("0.0.0.0", 10121)
    assert config.analyzer.listen == HostPort("127.0.0.1", 8050)
    assert config.origin.source == "<defaults>"


def test_default_file_in_cwd_is_read(tmp_path: Path) -> None:
    write(tmp_path, "exporter:\n  listen: 127.0.0.1:9999\n")
    assert load_config(None, env={}, cwd=tmp_path).exporter.listen.port == 9999


def test_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "missing.yml", env={})
    assert "missing.yml: file not found" in str(err.value)


def test_every_error_is_reported_with_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "exporter:\n"
        "  listen: localhost\n"
        "  bogus: 1\n"
        "  smart:\n"
        "    interval: 5x\n"
        "analyzer:\n"
        "  tokens:\n"
        "    - name: a\n"
        "      hash: nothex\n"
        "stack:\n"
        "  ports: {vmalert: 8428}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    lines = str(err.value).splitlines()
    assert f"{path}:2: exporter.listen: expected HOST:PORT such as 127.0.0.1:9100, got 'localhost'" in lines
    assert any(line.startswith(f"{path}:3: exporter.bogus: unknown field; expected one of:") for line in lines)
    assert any(line.startswith(f"{path}:5: exporter.smart.interval: expected a duration") for line in lines)
    assert any(line.startswith(f"{path}:9: analyzer.tokens[0].hash: expected sha256:") for line in lines)
    assert f"{path}:11: stack.ports.vmalert: port 8428 is also given to victoriametrics" in lines
    assert len(lines) == 5


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "exporter:\n  listen: [127.0.0.1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value).startswith(f"{path}:3: not valid YAML")


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a mapping of sections"):
        load_config(write(tmp_path, "- a\n- b\n"), env={})


def test_env_overrides_win_and_are_named_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "exporter:\n  listen: 127.0.0.1:9999\n")
    config = load_config(path, env={"INFRAMIND__EXPORTER__LISTEN": "127.0.0.1:7777", "INFRAMIND__LOG__LEVEL": "debug"})
    assert config.exporter.listen.port == 7777
    assert config.log.level == "debug"
    with pytest.raises(ConfigError) as err:
        load_config(path, env={"INFRAMIND__EXPORTER__SMART__INTERVAL": "soon"})
    assert str(err.value).startswith(
        "environment variable INFRAMIND__EXPORTER__SMART__INTERVAL: exporter.smart.interval"
    )


def test_env_override_into_scalar_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "inventory: inv.yml\n")
    with pytest.raises(ConfigError, match="inventory is not a mapping"):
        load_config(path, env={"INFRAMIND__INVENTORY__X": "1"})


def test_inventory_path_is_relative_to_config_file(tmp_path: Path) -> None:
    sub = tmp_path / "etc"
    sub.mkdir()
    config = load_config(write(sub, "inventory: inv.yml\n"), env={})
    assert config.inventory == str(sub / "inv.yml")


def test_token_expiry_parses_iso_and_gets_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "analyzer:\n  tokens:\n    - {name: a, hash: 'sha256:" + "0" * 64 + "', role: admin, expires: 2027-01-31}\n",
    )
    token = load_config(path, env={}).analyzer.tokens[0]
    assert token.role == "admin"
    assert token.expires is not None and token.expires.isoformat() == "2027-01-31T00:00:00+00:00"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90.0), ("90s", 90.0), ("1m30s", 90.0), ("2h", 7200.0), ("1d", 86400.0), ("250ms", 0.25), (1.5, 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "1m 30s", "-3", -3, True, "m5", "5"])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_hostport() -> None:
    assert HostPort.parse(":9100") == HostPort("0.0.0.0", 9100)
    assert HostPort.parse("[::1]:80").host == "::1"
    assert str(HostPort("::1", 80)) == "[::1]:80"
    assert HostPort("0.0.0.0", 1).url_host == "127.0.0.1"
    for bad in ("host", "host:0", "host:70000", "host:x"):
        with pytest.raises(ValueError):
            HostPort.parse(bad)


def test_to_plain_round_trips_through_load(tmp_path: Path) -> None:
    import yaml

    path = write(tmp_path, "exporter:\n  listen: 127.0.0.1:9999\n  collectors: {smart: false}\n")
    config = load_config(path, env={})
    again = load_config(write(tmp_path, yaml.safe_dump(to_plain(config)), "again.yml"), env={})
    assert again == config


def test_example_config_documents_the_defaults() -> None:
    """examples/inframind.yml shows every default; if a default changes, the example must change too."""
    example = Path(__file__).resolve().parents[2] / "examples" / "inframind.yml"
    assert load_config(example, env={}) == Config()
