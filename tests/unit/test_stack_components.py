"""The stack's command lines: loopback only, the flags that avoid the known traps, dependency order."""

from __future__ import annotations

from pathlib import Path

from inframind.config import Config, StackConfig, StackPorts
from inframind.schema import HostPort
from inframind.stack.components import StackPaths, plan

BINARIES = {"victoriametrics": "/usr/bin/victoria-metrics", "vmalert": "/usr/bin/vmalert", "alertmanager": "/am"}
PORTS = StackPorts(victoriametrics=1001, vmalert=1002, alertmanager=1003, exporter=1004, analyzer=1005)
CONFIG = Config(stack=StackConfig(ports=PORTS, evaluation_interval=2.0, retention_period="7d"))
PATHS = StackPaths(Path("/d/var"), Path("/d/rules"), Path("/d/alertmanager"))


def _by_name(config_path: str | None = None) -> dict[str, tuple[str, ...]]:
    return {c.name: c.argv for c in plan(CONFIG, PATHS, BINARIES, "/py", config_path=config_path)}


def test_paths_resolve_relative_settings_from_the_working_directory() -> None:
    paths = StackPaths.from_config(StackConfig(data_dir="var", rules_dir="/etc/rules"), Path("/srv/app"))
    assert paths.data_dir == Path("/srv/app/var")
    assert paths.rules_dir == Path("/etc/rules")
    assert paths.alertmanager_dir == Path("/srv/app/alertmanager")
    assert paths.am_config == Path("/srv/app/var/alertmanager.yml")
    assert paths.rule_globs == ("/etc/rules/alerts/*.yml", "/etc/rules/recording/*.yml")


def test_every_component_listens_on_loopback_in_start_order() -> None:
    components = plan(CONFIG, PATHS, BINARIES, "/py")
    assert [c.name for c in components] == ["victoriametrics", "alertmanager", "exporter", "vmalert", "analyzer"]
    assert {str(c.listen) for c in components} == {f"127.0.0.1:{p}" for p in range(1001, 1006)}
    assert {c.name: c.ready_url for c in components} == {
        "victoriametrics": "http://127.0.0.1:1001/health",
        "alertmanager": "http://127.0.0.1:1003/-/ready",
        "exporter": "http://127.0.0.1:1004/-/healthy",
        "vmalert": "http://127.0.0.1:1002/health",
        "analyzer": "http://127.0.0.1:1005/health",
    }
    after = {c.name: c.after for c in components}
    assert after["vmalert"] == ("victoriametrics", "alertmanager")
    assert after["analyzer"] == ("victoriametrics",)
    assert {c.name: c.port_key for c in components}["vmalert"] == "stack.ports.vmalert"


def test_victoriametrics_flags() -> None:
    assert _by_name()["victoriametrics"] == (
        "/usr/bin/victoria-metrics",
        "-httpListenAddr=127.0.0.1:1001",
        "-storageDataPath=/d/var/victoriametrics",
        "-retentionPeriod=7d",
        "-promscrape.config=/d/var/scrape.yml",
        "-search.latencyOffset=0s",
        "-selfScrapeInterval=0",
        "-dedup.minScrapeInterval=1ms",
    )


def test_vmalert_loads_only_alert_and_recording_rules_and_talks_to_the_stack() -> None:
    argv = _by_name()["vmalert"]
    assert [a for a in argv if a.startswith("-rule=")] == [
        "-rule=/d/rules/alerts/*.yml",
        "-rule=/d/rules/recording/*.yml",
    ]
    for flag in ("-datasource.url", "-remoteWrite.url", "-remoteRead.url"):
        assert f"{flag}=http://127.0.0.1:1001" in argv
    assert "-notifier.url=http://127.0.0.1:1003" in argv
    assert "-evaluationInterval=2s" in argv


def test_alertmanager_runs_on_the_rendered_file_without_cluster_listener() -> None:
    argv = _by_name()["alertmanager"]
    assert "--config.file=/d/var/alertmanager.yml" in argv
    assert "--storage.path=/d/var/alertmanager" in argv
    assert "--web.listen-address=127.0.0.1:1003" in argv
    assert argv[-1] == "--cluster.listen-address="


def test_python_children_get_listen_and_config_passed_through() -> None:
    argv = _by_name(config_path="conf/inframind.yml")
    assert argv["exporter"] == (
        "/py",
        "-m",
        "inframind.cli",
        "exporter",
        "--listen",
        "127.0.0.1:1004",
        "--config",
        "conf/inframind.yml",
    )
    assert argv["analyzer"][3:] == ("analyzer", "--listen", "127.0.0.1:1005", "--config", "conf/inframind.yml")
    assert "--config" not in _by_name()["exporter"]


def test_analyzer_listen_option_overrides_the_port() -> None:
    components = plan(CONFIG, PATHS, BINARIES, "/py", analyzer_listen=HostPort("127.0.0.1", 9999))
    analyzer = components[-1]
    assert analyzer.url == "http://127.0.0.1:9999"
    assert analyzer.port_key == "--listen"
    assert "127.0.0.1:9999" in analyzer.argv
