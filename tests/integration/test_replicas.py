"""Several `inframind analyzer` processes on one PostgreSQL state: sharded detectors, one leader, failover, restart.

Everything is real: the analyzer processes (`python -m inframind.cli analyzer`), a private PostgreSQL 15 cluster on
127.0.0.1 (tests/helpers/postgres.py), the SQLite log store they read. The leader is killed with SIGKILL (no clean
hand-over), so the survivor must wait for the leases to expire and then take them.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from inframind.analyzer.api import Deps
from inframind.analyzer.replicas import Membership
from inframind.analyzer.replicas_shard import shard_of
from inframind.analyzer.scheduler import Scheduler, TaskRegistry
from inframind.analyzer.scheduler_wiring import leader_tasks
from inframind.analyzer.state import FindingRecord, ReplicaSettings, StateDB, StateStore
from inframind.analyzer.state.postgres import PostgresState
from inframind.config import AnalyzerConfig, Config, LogStoreConfig, SQLiteStoreSettings
from inframind.config.delivery import AlertmanagerSinkSettings
from inframind.events import LogEvent
from inframind.logstore import LogStore, open_store
from tests.helpers.incidents import THERMAL, active, log_finding, resolved
from tests.helpers.postgres import PostgresCluster, postgres_cluster
from tests.helpers.procs import Server, free_port, require_binary, wait_until
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
__all__ = ["postgres_cluster"]

SHARDS = 4
LEASE_TTL = 3.0
HEARTBEAT = 0.5
TAKEOVER_BOUND = LEASE_TTL + 4 * HEARTBEAT + 3.0
"""Seconds from the kill until the survivor leads and holds every shard: the dead leases expire after at most
``LEASE_TTL``, the survivor looks at each heartbeat; the rest is slack for a loaded CI machine."""
DSN_ENV = "INFRAMIND_TEST_STATE_DSN"
RULES = {
    "groups": [
        {
            "name": "test",
            "rules": [
                {
                    "alert": "ThermalWarnings",
                    "match": {"source": ["syslog"], "level": ["warning"], "regex": "(?i)thermal"},
                    "threshold": 1,
                    "window": "30m",
                    "severity": "warning",
                    "annotations": {"summary": "Thermal warnings on {{ asset }}"},
                }
            ],
        }
    ]
}


@dataclass
class Rig:
    dir: Path
    logs: LogStore
    env: dict[str, str]
    backend: str

    def config(self, name: str, shards: int = SHARDS) -> Path:
        analyzer: dict[str, object] = {
            "state_dir": str(self.dir / name / "state"),
            "logs": {"interval": 0.5, "rules": [str(self.dir / "rules" / "*.yml")]},
            "metrics": {"enabled": False},
            "schedule": {"retry_initial": 0.5, "stop_timeout": 10, "cadences": {"correlation": 0.5}},
            "replicas": {"id": name, "shards": shards, "lease_ttl": LEASE_TTL, "heartbeat": HEARTBEAT},
        }
        if self.backend == "postgres":
            analyzer["state"] = {"backend": "postgres", "dsn": f"env:{DSN_ENV}"}
        doc = {"analyzer": analyzer, "logstore": {"sqlite": {"path": str(self.dir / "logs.db")}}}
        path = self.dir / f"{name}.yml"
        path.write_text(yaml.safe_dump(doc))
        return path

    def start(self, name: str, shards: int = SHARDS) -> Replica:
        port = free_port()
        argv = [sys.executable, "-m", "inframind.cli", "analyzer", "--config", str(self.config(name, shards)),
                "--listen", f"127.0.0.1:{port}"]  # fmt: skip
        server = Server(name, argv, self.dir / "logs", env=self.env, cwd=self.dir)
        replica = Replica(name, f"http://127.0.0.1:{port}", server)
        server.wait_http(replica.url + "/health")
        return replica

    def thermal(self, assets: list[str], at: dt.datetime) -> None:
        self.logs.write([LogEvent(at, "syslog", "warning", f"CPU thermal warning on {a}", host=a, asset_id=a)
                         for a in assets])  # fmt: skip


@dataclass
class Replica:
    name: str
    url: str
    server: Server

    def metrics(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        text = requests.get(self.url + "/metrics", timeout=5).text
        return {f.name: [(s.labels, s.value) for s in f.samples] for f in text_string_to_metric_families(text)}

    def events(self) -> dict[int, int]:
        """Log events analyzed per shard by this replica's loops (the shards it holds)."""
        samples = self.metrics().get("inframind_log_analyzer_events", [])
        return {int(labels["shard"]): int(value) for labels, value in samples}

    def view(self) -> tuple[bool, set[int]]:
        """(leads, shards held) as this replica reports them on /metrics."""
        found = self.metrics()
        leader = found["inframind_analyzer_is_leader"][0][1] == 1.0
        labels = found["inframind_analyzer_shard_info"][0][0]
        return leader, {int(i) for i in labels["shards"].split(",") if i}


def _per_shard(assets: list[str]) -> dict[int, int]:
    """Events per shard when every asset has one event."""
    return dict(Counter(shard_of("default", a, SHARDS) for a in assets))


def _nonzero(counts: dict[int, int]) -> dict[int, int]:
    return {i: n for i, n in counts.items() if n}


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "test.yml").write_text(yaml.safe_dump(RULES))
    logs = open_store(LogStoreConfig(sqlite=SQLiteStoreSettings(path=str(tmp_path / "logs.db"))))
    yield Rig(tmp_path, logs, {}, "sqlite")
    logs.close()


def _active(state: StateStore) -> dict[str, FindingRecord]:
    """Active rule findings by asset."""
    return {r.finding.asset_id: r for r in state.findings.list(state="active", kind="log.rule", limit=10_000)}


def _wait(predicate: object, timeout: float, what: str, replicas: list[Replica]) -> None:
    assert callable(predicate)
    if not wait_until(predicate, timeout=timeout, interval=0.2):
        logs = "\n".join(f"--- {r.name}\n{r.server.log_tail(25)}" for r in replicas)
        pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs}")


def test_two_replicas_shard_the_assets_and_the_survivor_takes_over_from_a_killed_leader(
    rig: Rig, postgres_cluster: PostgresCluster
) -> None:
    dsn = postgres_cluster.fresh_dsn()
    rig.env, rig.backend = {DSN_ENV: dsn}, "postgres"
    first = [f"srv-{i:02d}" for i in range(1, 13)]
    one, two = rig.start("r1"), rig.start("r2")
    replicas = [one, two]
    state = PostgresState(dsn)
    try:

        def balanced() -> bool:
            (lead1, held1), (lead2, held2) = one.view(), two.view()
            return lead1 != lead2 and held1 | held2 == set(range(SHARDS)) and not held1 & held2 and len(held1) == 2

        _wait(balanced, 30, "one leader and the shards split 2 + 2", replicas)
        (lead1, held1), (_, held2) = one.view(), two.view()
        for asset in first:  # every asset is analyzed by exactly one replica
            assert (shard_of("default", asset, SHARDS) in held1) != (shard_of("default", asset, SHARDS) in held2)
        assert {state.leases.get(f"shard/{i}of{SHARDS}").holder for i in held1} == {"r1"}  # type: ignore[union-attr]
        assert {state.leases.get(f"shard/{i}of{SHARDS}").holder for i in held2} == {"r2"}  # type: ignore[union-attr]

        rig.thermal(first, dt.datetime.now(dt.UTC))
        # each event is analyzed once, by the loop of its asset's shard on the replica holding it
        expected = _per_shard(first)
        _wait(lambda: _nonzero(one.events() | two.events()) == expected, 30, "each event analyzed once", replicas)
        _wait(lambda: set(_active(state)) == set(first), 30, "a finding for every asset", replicas)
        _wait(lambda: all(state.incidents.by_finding(r.fingerprint) for r in _active(state).values()), 30,
              "correlation on the leader", replicas)  # fmt: skip
        before = _active(state)
        incident_of = {a: state.incidents.by_finding(r.fingerprint).id for a, r in before.items()}  # type: ignore[union-attr]
        assert all(state.get(f"shard/{i}of{SHARDS}/cursor") is not None for i in range(SHARDS))

        leader, survivor = (one, two) if lead1 else (two, one)
        held1, held2 = one.view()[1], two.view()[1]
        leader.server.proc.send_signal(signal.SIGKILL)
        leader.server.proc.wait(10)
        killed = time.monotonic()
        _wait(lambda: survivor.view() == (True, set(range(SHARDS))), TAKEOVER_BOUND + 5, "the takeover", replicas)
        took = time.monotonic() - killed
        assert took <= TAKEOVER_BOUND, f"the survivor took {took:.1f}s to lead and hold every shard"
        assert state.leases.get("leader").holder == survivor.name  # type: ignore[union-attr]

        # work goes on from the dead replica's cursors: old assets again, and new ones in every shard
        later = [f"srv-{i:02d}" for i in range(13, 21)]
        rig.thermal(first + later, dt.datetime.now(dt.UTC))
        _wait(lambda: set(_active(state)) == set(first + later), 30, "findings of the new assets", replicas)
        _wait(lambda: all(state.incidents.by_finding(r.fingerprint) for r in _active(state).values()), 30,
              "correlation on the new leader", replicas)  # fmt: skip
        # the taken shards go on from the dead replica's cursors: their new loops read only the new events
        own = held1 if survivor is one else held2
        post = _per_shard(first + later)
        want = _nonzero({i: post.get(i, 0) + (expected.get(i, 0) if i in own else 0) for i in range(SHARDS)})
        _wait(lambda: _nonzero(survivor.events()) == want, 30, "the survivor's events per shard", replicas)
        end = rig.logs.end_position()
        _wait(lambda: all(state.get(f"shard/{i}of{SHARDS}/cursor") == end for i in range(SHARDS)), 30,
              "every shard read to the end", replicas)  # fmt: skip

        after = _active(state)
        for asset, record in before.items():  # nothing lost, nothing raised again
            assert after[asset].fingerprint == record.fingerprint
            assert after[asset].first_seen == record.first_seen
            assert after[asset].count == 1
            assert state.incidents.by_finding(record.fingerprint).id == incident_of[asset]  # type: ignore[union-attr]
        members = [fp for i in state.incidents.list(limit=10_000) for fp in i.findings]
        assert sorted(members) == sorted({*members}), "a finding in two incidents"
        assert {r.fingerprint for r in after.values()} <= set(members)
        assert survivor.server.proc.poll() is None
    finally:
        for replica in replicas:
            replica.server.stop()
        state.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_restart_resumes_from_the_cursor_and_re_alerts_nothing(
    rig: Rig, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "postgres":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        rig.env, rig.backend = {DSN_ENV: cluster.fresh_dsn()}, backend
    assets = ["db-01", "db-02", "db-03"]
    rig.thermal(assets, dt.datetime.now(dt.UTC))

    def open_state() -> StateStore:
        if backend == "postgres":
            return PostgresState(rig.env[DSN_ENV])
        return StateDB(rig.dir / "solo" / "state" / "analysis.db")

    replica = rig.start("solo", shards=1)
    try:
        _wait(lambda: rig.logs.end_position() == _cursor(open_state), 30, "the first cycle", [replica])
        replica.server.proc.send_signal(signal.SIGTERM)
        assert replica.server.proc.wait(20) == 0, replica.server.log_tail()
    finally:
        replica.server.stop()
    first_run = replica.server.log_path.read_text()
    state = open_state()
    before = _active(state)
    state.close()
    assert set(before) == set(assets)
    assert re.search(r"3 new findings", first_run), first_run

    rig.thermal(assets, dt.datetime.now(dt.UTC))  # the same trouble goes on while the analyzer is down
    again = rig.start("solo", shards=1)
    try:
        _wait(lambda: rig.logs.end_position() == _cursor(open_state), 30, "the cycle after the restart", [again])
        time.sleep(1.5)  # a few more cycles: still nothing new
        metrics = again.metrics()
    finally:
        again.server.stop()
    log_after = again.server.log_path.read_text()[len(first_run) :]  # the same log file: only the second run
    state = open_state()
    after = _active(state)
    state.close()
    assert {a: (r.fingerprint, r.first_seen, r.count) for a, r in after.items()} == {
        a: (r.fingerprint, r.first_seen, r.count) for a, r in before.items()
    }
    assert not re.search(r"[1-9]\d* new findings", log_after), log_after
    # only the 3 events written while it was down were read after the restart (from the cursor, no rescan)
    assert metrics["inframind_log_analyzer_events"][0][1] == 3.0


def _cursor(open_state: object) -> str | None:
    assert callable(open_state)
    state = open_state()
    try:
        value = state.get("cursor")
        return None if value is None else str(value)
    finally:
        state.close()


def _alertmanager(tmp_path: Path) -> Running:
    """A real Alertmanager that keeps what it is sent (one route, a receiver that sends nowhere)."""
    config = tmp_path / "alertmanager.yml"
    config.write_text(yaml.safe_dump({"route": {"receiver": "keep", "group_wait": "0s", "group_interval": "1s"},
                                      "receivers": [{"name": "keep"}]}))  # fmt: skip
    port = free_port()
    argv = [require_binary("prometheus-alertmanager"), f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]  # fmt: skip
    server = Running("alertmanager", argv, tmp_path / "logs", f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/-/ready")
    return server


def _alerts(am: Running) -> dict[str, tuple[str, str]]:
    """Alertmanager's alerts by the finding label: (startsAt, endsAt)."""
    found = requests.get(am.url + "/api/v2/alerts", timeout=5).json()
    return {a["labels"]["finding"]: (a["startsAt"], a["endsAt"]) for a in found}


def test_delivery_runs_on_the_leader_and_a_new_leader_fires_nothing_again(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    """Two schedulers (in this process, each with its own PostgreSQL connection as a replica) wired as the service
    wires them, delivering to a real Alertmanager; the leader stops renewing (as if killed)."""
    am = _alertmanager(tmp_path)
    dsn = postgres_cluster.fresh_dsn()
    stores = [PostgresState(dsn), PostgresState(dsn)]
    try:
        now = dt.datetime.now(dt.UTC)
        records = [active(log_finding(f"srv-{i}", THERMAL, 3, now - dt.timedelta(minutes=10), now)) for i in range(3)]
        for record in records:
            stores[0].findings.upsert(record)
        sink = AlertmanagerSinkSettings(urls=(am.url,), resend_interval=300.0)
        config = Config(analyzer=AnalyzerConfig(alertmanager=sink))
        schedulers, registries = [], []
        for i, store in enumerate(stores):
            registry = CollectorRegistry()
            deps = Deps(registry=registry)
            tasks = TaskRegistry()
            for task in leader_tasks(config, deps, store, f"r{i}"):
                tasks.add(task)
            membership = Membership(store, ReplicaSettings(id=f"r{i}", lease_ttl=1.0, heartbeat=0.2))
            schedulers.append(Scheduler(tasks, membership))
            registries.append(registry)
        first, second = schedulers
        delivery = {s: next(t for t in s.tasks if t.name == "delivery") for s in schedulers}
        first.membership.tick()
        second.membership.tick()
        assert first.membership.leader() is not None and second.membership.leader() is None
        first.run_task(delivery[first])
        second.run_task(delivery[second])
        assert second.health()["tasks"]["delivery"]["state"] == "standby"
        sent = _alerts(am)
        assert set(sent) == {r.fingerprint for r in records}
        assert registries[0].get_sample_value("inframind_analyzer_delivery_alerts_total", {"peer": am.url}) == 3

        # the first replica stops (no more renewals): the second leads once the lease has expired
        def leads() -> bool:
            second.membership.tick()
            return second.membership.leader() is not None

        assert wait_until(leads, timeout=5)
        second.run_task(delivery[second])
        assert second.health()["tasks"]["delivery"]["state"] == "ok"
        assert _alerts(am) == sent  # the same alerts, same startsAt: nothing fired again
        assert registries[1].get_sample_value("inframind_analyzer_delivery_alerts_total", {"peer": am.url}) is None

        # and it carries on: a finding that ends is resolved in Alertmanager by the new leader
        stores[1].findings.upsert(resolved(records[0], dt.datetime.now(dt.UTC)))
        second.run_task(delivery[second])
        assert registries[1].get_sample_value("inframind_analyzer_delivery_alerts_total", {"peer": am.url}) == 1
        left = _alerts(am)  # Alertmanager lists active alerts only: the resolved one is gone, the others stay
        assert left == {fp: v for fp, v in sent.items() if fp != records[0].fingerprint}
    finally:
        for store in stores:
            store.close()
        am.stop()
