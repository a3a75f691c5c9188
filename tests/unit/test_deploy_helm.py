"""The Helm chart renders, lints and validates against the Kubernetes 1.30 schema, with restricted-friendly pods.

Rendered and linted in process by helm-python-sdk (Helm v4's Go SDK, no helm binary, no cluster); every manifest is
checked by kubernetes-validate in strict mode. Kinds it has no schema for (the operators' scrape objects) are
asserted as an exact list, never passed silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from inframind.analyzer.state import ReplicaSettings, StateSettings
from inframind.config import load_config
from inframind.schema import build
from tests.helpers.servers import REPO

CHART = REPO / "deploy" / "helm" / "inframind"
KUBE = "1.30.0"
SECRETS = {
    "stateDsn": "postgresql://inframind:pw@postgres:5432/inframind",
    "opensearchPassword": "pw",
    "agentToken": "t",
}
FULL = {
    "secrets": SECRETS,
    "analyzer": {"replicas": 3, "tokens": [{"name": "agent", "hash": "sha256:" + "ab" * 32, "role": "operator"}]},
    "monitoring": {"vmServiceScrape": {"enabled": True}, "serviceMonitor": {"enabled": True}},
}
UNVALIDATED = [
    ("monitoring.coreos.com/v1", "ServiceMonitor", "rel-inframind-analyzer"),
    ("monitoring.coreos.com/v1", "ServiceMonitor", "rel-inframind-exporter"),
    ("monitoring.coreos.com/v1", "ServiceMonitor", "rel-inframind-node"),
    ("operator.victoriametrics.com/v1beta1", "VMServiceScrape", "rel-inframind-analyzer"),
    ("operator.victoriametrics.com/v1beta1", "VMServiceScrape", "rel-inframind-node"),
    ("operator.victoriametrics.com/v1beta1", "VMServiceScrape", "rel-inframind-exporter"),
]


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values, name="rel", namespace="monitoring")
    return [
        doc for name, text in sorted(files.items()) if name.endswith(".yaml") for doc in yaml.safe_load_all(text) if doc
    ]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def full() -> list[dict[str, Any]]:
    return render(FULL)


def test_lint_is_clean() -> None:
    report = helm.lint(CHART, FULL, strict=True, kube_version=f"v{KUBE}")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_manifests_match_the_kubernetes_schema(full: list[dict[str, Any]]) -> None:
    unvalidated = []
    for doc in full:
        try:
            kubernetes_validate.validate(doc, KUBE, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unvalidated.append((doc["apiVersion"], doc["kind"], doc["metadata"]["name"]))
    assert sorted(unvalidated) == sorted(UNVALIDATED)
    assert {d["kind"] for d in full} == {
        "ConfigMap", "Secret", "ServiceAccount", "Deployment", "DaemonSet", "Service", "PodDisruptionBudget",
        "ServiceMonitor", "VMServiceScrape",
    }  # fmt: skip


def test_the_validator_rejects_a_broken_manifest(full: list[dict[str, Any]]) -> None:
    """The schema check is live: a misspelt field in a container fails strict validation."""
    deployment = by_kind(full, "Deployment")["rel-inframind-analyzer"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBE, strict=True)


def _pods(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in docs if d["kind"] in ("Deployment", "DaemonSet")
    }


def test_pods_are_restricted_friendly(full: list[dict[str, Any]]) -> None:
    pods = _pods(full)
    assert set(pods) == {"rel-inframind-analyzer", "rel-inframind-exporter", "rel-inframind-node"}
    for name, pod in pods.items():
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] != 0, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), name
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert sc["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert sc["capabilities"] == {"drop": ["ALL"]}, (name, container["name"])
            assert container["resources"]["limits"]["memory"], (name, container["name"])
    # Only the node DaemonSet touches the host, and only its init step runs as root, with CAP_CHOWN alone.
    for name in ("rel-inframind-analyzer", "rel-inframind-exporter"):
        assert not any("hostPath" in v for v in pods[name]["volumes"]), name
        assert not any(p.get("hostPort") for c in pods[name]["containers"] for p in c["ports"]), name
        assert "initContainers" not in pods[name]
    (init,) = pods["rel-inframind-node"]["initContainers"]
    assert init["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}
    assert init["command"] == ["chown", "10001:10001", "/var/lib/inframind/agent"]
    host_paths = {v["hostPath"]["path"] for v in pods["rel-inframind-node"]["volumes"] if "hostPath" in v}
    assert host_paths == {"/var/lib/inframind/agent", "/var/log", "/proc", "/sys", "/"}


def _config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    text = by_kind(docs, "ConfigMap")["rel-inframind"]["data"]["inframind.yml"]
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_rendered_config_loads(full: list[dict[str, Any]], tmp_path: Path) -> None:
    data = _config(full)
    analyzer = data["analyzer"]
    # analyzer.state and analyzer.replicas are the state package's settings (inframind/analyzer/state/settings.py).
    state = build(StateSettings, analyzer.pop("state"))
    replicas = build(ReplicaSettings, analyzer.pop("replicas"))
    assert state.backend == "postgres"
    assert state.dsn is not None
    assert list(state.check()) == []
    assert (replicas.shards, replicas.lease_ttl, replicas.id) == (16, 30.0, "")
    assert list(replicas.check()) == []
    path = tmp_path / "inframind.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(path, env={})
    assert config.agent.sink.url == "http://rel-inframind-analyzer:8050"
    assert config.logstore.type == "opensearch"
    assert config.analyzer.tokens[0].role == "operator"


def _env_refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_env_refs(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_env_refs(v) for v in value)) if value else set()
    return {value[4:]} if isinstance(value, str) and value.startswith("env:") else set()


def test_every_secret_reference_is_filled_from_the_secret(full: list[dict[str, Any]]) -> None:
    data = _config(full)
    secret = by_kind(full, "Secret")["rel-inframind"]
    readers = {
        "analyzer": ("rel-inframind-analyzer", "analyzer"),
        "logstore": ("rel-inframind-analyzer", "analyzer"),
        "agent": ("rel-inframind-node", "agent"),
    }
    pods = _pods(full)
    wanted = {section: _env_refs(data[section]) for section in readers}
    assert wanted == {
        "analyzer": {"INFRAMIND_STATE_DSN"},
        "logstore": {"INFRAMIND_OPENSEARCH_PASSWORD"},
        "agent": {"INFRAMIND_AGENT_TOKEN"},
    }
    for section, (pod, container_name) in readers.items():
        (container,) = [c for c in pods[pod]["containers"] if c["name"] == container_name]
        env = {e["name"]: e for e in container["env"]}
        for name in wanted[section]:
            ref = env[name]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "rel-inframind"
            assert ref["key"] in secret["stringData"]


def test_replicas_shard_on_postgres(full: list[dict[str, Any]]) -> None:
    assert by_kind(full, "Deployment")["rel-inframind-analyzer"]["spec"]["replicas"] == 3
    assert by_kind(full, "PodDisruptionBudget")["rel-inframind-analyzer"]["spec"]["minAvailable"] == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"analyzer": {"state": {"backend": "sqlite"}}},
            "analyzer.replicas > 1 needs analyzer.state.backend: postgres",
        ),
        ({"secrets": {**SECRETS, "stateDsn": ""}}, "needs secrets.stateDsn"),
        ({"secrets": {**SECRETS, "agentToken": ""}}, "agent.enabled needs secrets.agentToken"),
        ({"analyzer": {"persistence": {"enabled": True}}}, "use it with analyzer.replicas: 1 only"),
    ],
)
def test_unworkable_values_are_refused(values: dict[str, Any], message: str) -> None:
    merged = {**FULL, **values, "secrets": values.get("secrets", SECRETS)}
    with pytest.raises(helm.HelmError, match=message.replace(".", r"\.").replace("+", r"\+")):
        render(merged)


def test_single_analyzer_on_sqlite() -> None:
    values = {
        "secrets": {"agentToken": "t"},
        "logstore": {"type": "sqlite"},
        "analyzer": {"replicas": 1, "state": {"backend": "sqlite"}, "persistence": {"enabled": True}},
    }
    docs = render(values)
    assert "PodDisruptionBudget" not in {d["kind"] for d in docs}
    assert by_kind(docs, "PersistentVolumeClaim")["rel-inframind-analyzer"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert _config(docs)["analyzer"]["state"] == {"backend": "sqlite", "connect_timeout": 10}
    assert not {d["kind"] for d in docs} & {"ServiceMonitor", "VMServiceScrape"}


def test_existing_secret_is_used_as_is() -> None:
    docs = render({**FULL, "secrets": {"existingSecret": "ops-inframind"}})
    assert "Secret" not in {d["kind"] for d in docs}
    analyzer = _pods(docs)["rel-inframind-analyzer"]["containers"][0]
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in analyzer["env"] if "valueFrom" in e}
    assert refs == {"ops-inframind"}
