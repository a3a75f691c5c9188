"""What `inframind up` runs: one :class:`Component` per child process, with its command line and health URL.

Pure: config, resolved paths and binaries in, command lines out (the flags and traps are those of
../shared/COMPONENTS.md). Nothing here touches the disk or starts anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from inframind.config import Config, StackConfig
from inframind.schema import HostPort
from inframind.targets import format_duration

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class StackPaths:
    """Where the stack reads its rules and templates and keeps its data (all absolute)."""

    data_dir: Path
    rules_dir: Path
    alertmanager_dir: Path

    @classmethod
    def from_config(cls, stack: StackConfig, cwd: Path) -> StackPaths:
        return cls(*(cwd / p for p in (stack.data_dir, stack.rules_dir, stack.alertmanager_dir)))

    @property
    def scrape_file(self) -> Path:
        return self.data_dir / "scrape.yml"

    @property
    def vm_data(self) -> Path:
        return self.data_dir / "victoriametrics"

    @property
    def am_config(self) -> Path:
        """The rendered Alertmanager config: it may hold secrets, so it lives under data_dir, mode 0600."""
        return self.data_dir / "alertmanager.yml"

    @property
    def am_data(self) -> Path:
        return self.data_dir / "alertmanager"

    @property
    def am_template(self) -> Path:
        return self.alertmanager_dir / "alertmanager.yml"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def rule_globs(self) -> tuple[str, ...]:
        """Explicit globs: log rules (rules/logs) and promtool tests (rules/tests) must not reach vmalert."""
        return (str(self.rules_dir / "alerts" / "*.yml"), str(self.rules_dir / "recording" / "*.yml"))


@dataclass(frozen=True)
class Component:
    name: str
    argv: tuple[str, ...]
    listen: HostPort
    health_path: str
    port_key: str
    """The setting that changes the port, named in a 'port in use' error."""
    ui_path: str = "/"
    after: tuple[str, ...] = ()
    """Components that must have been ready once before this one starts."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for this child (config overrides that tie it to the stack)."""

    @property
    def url(self) -> str:
        return f"http://{self.listen.url_host}:{self.listen.port}"

    @property
    def ready_url(self) -> str:
        return self.url + self.health_path


def _python_command(python: str, command: str, listen: HostPort, config_path: str | None) -> tuple[str, ...]:
    argv = [python, "-m", "inframind.cli", command, "--listen", str(listen)]
    if config_path is not None:
        argv += ["--config", config_path]
    return tuple(argv)


def plan(
    config: Config,
    paths: StackPaths,
    binaries: Mapping[str, str],
    python: str,
    *,
    config_path: str | None = None,
    analyzer_listen: HostPort | None = None,
) -> list[Component]:
    """The children in start order. ``binaries`` maps victoriametrics, vmalert, alertmanager to executables."""
    stack = config.stack
    ports = stack.ports
    vm = HostPort(LOOPBACK, ports.victoriametrics)
    am = HostPort(LOOPBACK, ports.alertmanager)
    vmalert = HostPort(LOOPBACK, ports.vmalert)
    exporter = HostPort(LOOPBACK, ports.exporter)
    analyzer = analyzer_listen or HostPort(LOOPBACK, ports.analyzer)
    vm_url = f"http://{vm}"
    return [
        Component(
            "victoriametrics",
            (
                binaries["victoriametrics"],
                f"-httpListenAddr={vm}",
                f"-storageDataPath={paths.vm_data}",
                f"-retentionPeriod={stack.retention_period}",
                f"-promscrape.config={paths.scrape_file}",
                "-search.latencyOffset=0s",  # else the newest 30 s of samples are invisible
                "-selfScrapeInterval=0",  # scraped as the job "victoriametrics" instead
                "-dedup.minScrapeInterval=1ms",  # a retried /ingest/events import stores each sample once
            ),
            vm,
            "/health",
            "stack.ports.victoriametrics",
            ui_path="/vmui/",
        ),
        Component(
            "alertmanager",
            (
                binaries["alertmanager"],
                f"--config.file={paths.am_config}",
                f"--storage.path={paths.am_data}",
                f"--web.listen-address={am}",
                "--cluster.listen-address=",  # empty: else it binds 0.0.0.0:9094 for gossip
            ),
            am,
            "/-/ready",
            "stack.ports.alertmanager",
        ),
        Component(
            "exporter",
            _python_command(python, "exporter", exporter, config_path),
            exporter,
            "/-/healthy",
            "stack.ports.exporter",
            ui_path="/metrics",
        ),
        Component(
            "vmalert",
            (
                binaries["vmalert"],
                f"-httpListenAddr={vmalert}",
                *(f"-rule={glob}" for glob in paths.rule_globs),
                f"-datasource.url={vm_url}",
                f"-remoteWrite.url={vm_url}",  # recording rules are stored only with remote write
                f"-remoteRead.url={vm_url}",  # alert state survives a restart only with remote read
                f"-notifier.url=http://{am}",
                f"-evaluationInterval={format_duration(stack.evaluation_interval)}",
                f"-external.url=http://{vmalert}",
            ),
            vmalert,
            "/health",
            "stack.ports.vmalert",
            after=("victoriametrics", "alertmanager"),
        ),
        Component(
            "analyzer",
            _python_command(python, "analyzer", analyzer, config_path),
            analyzer,
            "/health",
            "--listen" if analyzer_listen else "stack.ports.analyzer",
            ui_path="/docs",
            after=("victoriametrics",),
            env={
                "INFRAMIND__ANALYZER__VICTORIAMETRICS_URL": vm_url,
                "INFRAMIND__ANALYZER__STATE_DIR": str(paths.data_dir / "analyzer"),
            },
        ),
    ]
