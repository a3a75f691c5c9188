"""The compose stacks as `docker-compose config` resolves them (no Docker engine runs here), their scrape config as
vmagent reads it, the containers' InfraMind config as the loader reads it, and Alertmanager's rendered config as
amtool reads it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from inframind.config import load_config
from tests.helpers.procs import require_binary
from tests.helpers.servers import REPO

pytestmark = pytest.mark.integration

COMPOSE = REPO / "deploy" / "compose"
VARIANTS = {"full": COMPOSE / "docker-compose.yml", "portainer": COMPOSE / "portainer" / "docker-compose.yml"}
SERVICES = {
    "victoriametrics", "vmagent", "vmalert", "alertmanager", "grafana", "opensearch", "analyzer", "exporter", "agent",
}  # fmt: skip
ONE_SHOT = {"full": "alertmanager-config", "portainer": "config"}
REQUIRED = {
    "GRAFANA_ADMIN_PASSWORD",
    "OPENSEARCH_ADMIN_PASSWORD",
    "INFRAMIND_AGENT_TOKEN",
    "INFRAMIND_AGENT_TOKEN_HASH",
}
FILLED = {
    "GRAFANA_ADMIN_PASSWORD": "grafana-Secret1",
    "OPENSEARCH_ADMIN_PASSWORD": "Open-Search-Secret1",
    "INFRAMIND_AGENT_TOKEN": "agent-token",
    "INFRAMIND_AGENT_TOKEN_HASH": "sha256:" + "ab" * 32,
    "INFRAMIND_TELEGRAM_BOT_TOKEN": "123456:TEST",
    "INFRAMIND_TELEGRAM_CHAT_ID": "-100123",
}


def _env_file(variant: str, tmp_path: Path, drop: str | None = None) -> Path:
    """The variant's .env.example with the required values filled in (and one of them left out)."""
    example = VARIANTS[variant].parent / ".env.example"
    lines = []
    for line in example.read_text(encoding="utf-8").splitlines():
        name = line.split("=", 1)[0]
        if name == drop:
            continue
        lines.append(f"{name}={FILLED[name]}" if name in FILLED and line.endswith("=") else line)
    path = tmp_path / f"{variant}.env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _config(variant: str, env_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_binary("docker-compose"), "--env-file", str(env_file), "-f", str(VARIANTS[variant]), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def resolved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    variant = str(request.param)
    run = _config(variant, _env_file(variant, tmp_path_factory.mktemp(variant)))
    assert run.returncode == 0, run.stderr
    return variant, yaml.safe_load(run.stdout)


def test_every_component_is_there(resolved: tuple[str, dict[str, Any]]) -> None:
    variant, doc = resolved
    assert set(doc["services"]) == SERVICES | {ONE_SHOT[variant]}


def test_containers_run_without_privileges(resolved: tuple[str, dict[str, Any]]) -> None:
    _, doc = resolved
    for name, service in doc["services"].items():
        assert service.get("privileged") is not True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        # OpenSearch writes its config at first start (demo certificates, security index): not read-only.
        assert service.get("read_only") is (name != "opensearch"), name
    assert doc["services"]["opensearch"]["cap_add"] == ["IPC_LOCK"]
    assert not any(s.get("cap_add") for n, s in doc["services"].items() if n != "opensearch")


def test_opensearch_has_security_on(resolved: tuple[str, dict[str, Any]]) -> None:
    _, doc = resolved
    env = doc["services"]["opensearch"]["environment"]
    assert env["plugins.security.disabled"] == "false"
    assert env["plugins.security.ssl.http.enabled"] == "true"
    assert env["OPENSEARCH_INITIAL_ADMIN_PASSWORD"] == FILLED["OPENSEARCH_ADMIN_PASSWORD"]


def test_web_ports_bind_to_loopback_by_default(resolved: tuple[str, dict[str, Any]]) -> None:
    _, doc = resolved
    published = [(name, port) for name, service in doc["services"].items() for port in service.get("ports", [])]
    assert published
    for name, port in published:
        host_ip = port["host_ip"] if isinstance(port, dict) else str(port).split(":")[0]
        assert host_ip == "127.0.0.1", (name, port)


def test_every_long_running_service_has_a_healthcheck(resolved: tuple[str, dict[str, Any]]) -> None:
    """Images without a HEALTHCHECK get one here; ours bring theirs (deploy/docker/*.Dockerfile)."""
    variant, doc = resolved
    ours = {"analyzer", "exporter", "agent"}
    for name in SERVICES - ours:
        assert doc["services"][name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name
    # `disable: true` as docker-compose normalizes it.
    assert doc["services"][ONE_SHOT[variant]]["healthcheck"] in ({"disable": True}, {"test": ["NONE"]})
    assert doc["services"]["agent"]["environment"]["INFRAMIND_HEALTHCHECK_URL"].endswith(":10122/-/healthy")


def test_full_stack_mounts_the_repository_config(tmp_path: Path) -> None:
    run = _config("full", _env_file("full", tmp_path))
    assert run.returncode == 0, run.stderr
    doc = yaml.safe_load(run.stdout)
    mounts = {}
    for name, service in doc["services"].items():
        for volume in service.get("volumes", []):
            # compose v1 prints short syntax ("src:dst:ro"), v2 long syntax (mappings).
            if isinstance(volume, dict):
                if volume.get("type") == "bind":
                    mounts[(name, volume["target"])] = volume["source"]
            elif volume.startswith("/"):
                source, target = volume.split(":")[:2]
                mounts[(name, target)] = source
    assert mounts[("vmalert", "/etc/inframind/rules")] == str(REPO / "rules")
    assert mounts[("alertmanager", "/etc/inframind/alertmanager")] == str(REPO / "alertmanager")
    assert mounts[("alertmanager-config", "/etc/inframind/alertmanager")] == str(REPO / "alertmanager")
    assert mounts[("grafana", "/etc/grafana/provisioning")] == str(REPO / "grafana" / "provisioning")
    assert mounts[("grafana", "/var/lib/grafana/dashboards/inframind")] == str(REPO / "grafana" / "dashboards")
    assert mounts[("vmagent", "/etc/vmagent")] == str(COMPOSE / "vmagent")
    for name in ("analyzer", "exporter", "agent"):
        assert mounts[(name, "/etc/inframind")] == str(COMPOSE / "config")
    for source in mounts.values():
        assert Path(source).exists(), source


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_vmalert_globs_find_rule_files(variant: str) -> None:
    text = VARIANTS[variant].read_text(encoding="utf-8")
    globs = re.findall(r"-rule=/etc/inframind/rules/(\S+)", text)
    assert sorted(globs) == ["alerts/*.yml", "recording/*.yml"]
    for pattern in globs:
        assert list((REPO / "rules").glob(pattern)), pattern


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_a_missing_secret_stops_the_stack(variant: str, missing: str, tmp_path: Path) -> None:
    run = _config(variant, _env_file(variant, tmp_path, drop=missing))
    assert run.returncode != 0
    assert missing in run.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_env_example_lists_every_variable(variant: str) -> None:
    text = VARIANTS[variant].read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    example = (VARIANTS[variant].parent / ".env.example").read_text(encoding="utf-8")
    listed = {line.split("=", 1)[0] for line in example.splitlines() if re.match(r"^[A-Z][A-Z0-9_]*=", line)}
    assert used <= listed, sorted(used - listed)
    assert listed >= REQUIRED


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_render_service_gets_every_alertmanager_variable(variant: str) -> None:
    lines = (REPO / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8").splitlines()
    template = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    wanted = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", template))
    assert wanted
    service = yaml.safe_load(VARIANTS[variant].read_text(encoding="utf-8"))["services"][ONE_SHOT[variant]]
    assert set(service["environment"]) == wanted


def test_rendered_alertmanager_config_passes_amtool(tmp_path: Path) -> None:
    out = tmp_path / "alertmanager.yml"
    env = {
        "PATH": "/usr/bin:/bin",
        **{k: FILLED[k] for k in ("INFRAMIND_TELEGRAM_BOT_TOKEN", "INFRAMIND_TELEGRAM_CHAT_ID")},
    }
    script = REPO / "deploy" / "docker" / "render_alertmanager.py"
    run = subprocess.run(
        [sys.executable, str(script), str(REPO / "alertmanager" / "alertmanager.yml"), str(out)],
        capture_output=True, text=True, env={**env, "PYTHONPATH": str(REPO)}, check=False, timeout=30,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "receivers on: default, telegram" in run.stdout
    assert "receiver email is off" in run.stdout
    assert out.stat().st_mode & 0o777 == 0o644
    amtool = [require_binary("amtool"), "check-config", str(out)]
    check = subprocess.run(amtool, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "telegram" in yaml.safe_load(out.read_text(encoding="utf-8"))["receivers"][1]["name"]


def test_scrape_config_passes_vmagent_and_names_compose_services() -> None:
    scrape = COMPOSE / "vmagent" / "scrape.yml"
    run = subprocess.run(
        [require_binary("vmagent"), f"-promscrape.config={scrape}", "-promscrape.config.dryRun"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    doc = yaml.safe_load(scrape.read_text(encoding="utf-8"))
    hosts = {
        target.split(":")[0]
        for job in doc["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert hosts == SERVICES - {"grafana", "opensearch"}
    targets = yaml.safe_load((COMPOSE / "vmagent" / "targets" / "example.yml").read_text(encoding="utf-8"))
    assert targets[0]["labels"]["tenant"] == "default"


def test_container_config_loads() -> None:
    """The config file the full stack mounts, with the environment compose gives the analyzer."""
    token_hash = FILLED["INFRAMIND_AGENT_TOKEN_HASH"]
    env = {"INFRAMIND__ANALYZER__TOKENS": f'[{{name: agent, role: operator, hash: "{token_hash}"}}]'}
    config = load_config(COMPOSE / "config" / "inframind.yml", env=env)
    assert config.logstore.type == "opensearch"
    assert config.analyzer.victoriametrics_url == "http://victoriametrics:8428"
    assert config.agent.sink.type == "http"
    assert config.agent.sink.url == "http://analyzer:8050"
    assert config.analyzer.tokens[0].role == "operator"
    assert config.exporter.paths.procfs == "/host/proc"


def test_portainer_config_from_environment_loads(tmp_path: Path) -> None:
    """The Portainer variant configures by environment only: the analyzer's and agent's sets load together."""
    doc = yaml.safe_load(VARIANTS["portainer"].read_text(encoding="utf-8"))
    env: dict[str, str] = {}
    for name in ("analyzer", "agent", "exporter"):
        for key, value in doc["services"][name]["environment"].items():
            if key.startswith("INFRAMIND__"):
                env[key] = re.sub(r"\$\{[^}]+\}", FILLED["INFRAMIND_AGENT_TOKEN_HASH"], str(value))
    config = load_config(None, env=env, cwd=tmp_path)
    assert config.logstore.opensearch.hosts == ("https://opensearch:9200",)
    assert config.agent.files[0].format == "syslog"
    assert config.agent.sink.token is not None
    assert config.exporter.paths.rootfs == "/host/root"


def test_analyzer_image_carries_what_portainer_copies() -> None:
    dockerfile = (REPO / "deploy" / "docker" / "analyzer.Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY \S+ (/srv/inframind/\S+)$", dockerfile, flags=re.MULTILINE))
    command = yaml.safe_load(VARIANTS["portainer"].read_text(encoding="utf-8"))["services"]["config"]["command"][0]
    read = {m.rstrip("/.") for m in re.findall(r"(/srv/inframind/[a-z]+)", command)}
    assert read
    assert read <= {"/".join(c.split("/")[:4]) for c in copied}, (read, copied)


def _grafana_mounts(service: dict[str, Any]) -> set[str]:
    return {str(v).split(":")[1] for v in service["volumes"]}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_grafana_provisioning_fits_the_stack(variant: str) -> None:
    """The provisioning written in grafana/ names this stack's services and the directory dashboards are mounted at."""
    services = yaml.safe_load(VARIANTS[variant].read_text(encoding="utf-8"))["services"]
    grafana = services["grafana"]
    mounted = _grafana_mounts(grafana)
    assert grafana["environment"]["GF_PATHS_PROVISIONING"] in mounted
    providers = [
        provider
        for path in sorted((REPO / "grafana" / "provisioning" / "dashboards").glob("*.y*ml"))
        for provider in yaml.safe_load(path.read_text(encoding="utf-8"))["providers"]
    ]
    assert providers
    for provider in providers:
        assert provider["options"]["path"] in mounted, provider["options"]["path"]
    datasources = [
        source
        for path in sorted((REPO / "grafana" / "provisioning" / "datasources").glob("*.y*ml"))
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]
    ]
    assert datasources
    for source in datasources:
        host = source["url"].split("://", 1)[1].split("/", 1)[0].split(":")[0]
        assert host in services, (source["name"], source["url"])
