"""Shards and membership: a stable hash of the asset, every shard to exactly one live replica, failover by lease.

Membership runs on a real SQLite state file with fixed clocks (the database's for leases, a local monotonic one
for how long a held lease is trusted), so expiry is exact.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inframind.analyzer.replicas import Membership
from inframind.analyzer.replicas_shard import Shard, assign, shard_of
from inframind.analyzer.state import ReplicaSettings, StateDB

ASSETS = [f"srv-{i:04d}" for i in range(2000)]


def test_every_asset_has_exactly_one_shard_and_they_spread_evenly() -> None:
    for count in (2, 3, 8):
        owners = [[s for s in range(count) if Shard(s, count).owns("default", a)] for a in ASSETS]
        assert all(len(found) == 1 for found in owners)
        spread = Counter(found[0] for found in owners)
        assert set(spread) == set(range(count))
        assert max(spread.values()) < 1.25 * len(ASSETS) / count


def test_one_shard_owns_everything() -> None:
    assert all(Shard().owns(t, a) for t in ("default", "acme", None) for a in ASSETS[:50])
    assert {shard_of("acme", a, 1) for a in ASSETS[:50]} == {0}


def test_the_shard_depends_on_the_tenant_too() -> None:
    assert any(shard_of("acme", a, 8) != shard_of("globex", a, 8) for a in ASSETS[:50])
    assert Shard(shard_of("default", "x", 4), 4).owns(None, "x")  # no tenant is the default tenant


def test_the_hash_is_the_same_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from inframind.analyzer.replicas_shard import shard_of\n"
        "print([shard_of('default', f'srv-{i:04d}', 7) for i in range(200)])"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout  # fmt: skip
    assert out.strip() == str([shard_of("default", a, 7) for a in ASSETS[:200]])


@pytest.mark.parametrize(("shards", "replicas"), [(4, 2), (8, 3), (16, 5), (3, 4)])
def test_assign_gives_every_shard_to_one_live_replica_with_bounded_load(shards: int, replicas: int) -> None:
    members = [f"r{i}" for i in range(replicas)]
    owners = assign(shards, members)
    assert sorted(owners) == list(range(shards))
    assert set(owners.values()) <= set(members)
    assert max(Counter(owners.values()).values()) <= math.ceil(shards / replicas)
    assert assign(shards, list(reversed(members))) == owners  # every replica computes the same answer
    survivors = members[1:]
    if survivors:
        after = assign(shards, survivors)
        assert sorted(after) == list(range(shards)) and set(after.values()) <= set(survivors)


def test_assign_with_no_replica_is_empty() -> None:
    assert assign(4, []) == {}


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    db: StateDB
    clock: Clock
    local: dict[str, Clock]

    def member(self, name: str, shards: int = 4) -> Membership:
        self.local[name] = Clock(0.0)
        settings = ReplicaSettings(id=name, shards=shards, lease_ttl=10.0, heartbeat=2.0)
        return Membership(self.db, settings, monotonic=self.local[name])

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds
        for local in self.local.values():
            local.now += seconds


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = Clock(1_800_000_000.0)
    db = StateDB(tmp_path / "analysis.db", clock=clock)
    yield Rig(db, clock, {})
    db.close()


def _held(m: Membership) -> set[int]:
    return {s.index for s in m.shards()}


def test_two_replicas_split_the_shards_and_one_leads(rig: Rig) -> None:
    one, two = rig.member("r1"), rig.member("r2")
    one.tick()
    assert _held(one) == {0, 1, 2, 3} and one.leader() is not None  # alone at first: everything
    two.tick()
    one.tick()  # r1 sees r2 and hands its shards back
    two.tick()  # r2 takes them
    assert _held(one) | _held(two) == {0, 1, 2, 3}
    assert not _held(one) & _held(two)
    assert len(_held(one)) == len(_held(two)) == 2
    assert (one.leader() is None) != (two.leader() is None)
    assert one.view().owners == two.view().owners


def test_the_survivor_takes_every_shard_and_the_lead_once_the_dead_leases_expire(rig: Rig) -> None:
    one, two = rig.member("r1"), rig.member("r2")
    for m in (one, two, one, two):
        m.tick()
    tokens = {s.index: s.token for s in one.shards()}
    rig.advance(2.0)
    two.tick()  # r1 has died (no more ticks) but its heartbeat and leases still hold
    assert len(_held(two)) == 2 and two.leader() is None
    rig.advance(10.0)
    two.tick()
    assert _held(two) == {0, 1, 2, 3}
    leader = two.leader()
    assert leader is not None
    assert two.view().live == ("r2",)
    for shard in two.shards():  # a shard that changed hands has a new fencing token
        if shard.index in tokens:
            assert shard.token is not None and shard.token > (tokens[shard.index] or 0)


def test_a_replica_cut_off_from_the_store_stops_trusting_its_leases(rig: Rig) -> None:
    one = rig.member("r1")
    one.tick()
    assert one.leader() is not None and _held(one) == {0, 1, 2, 3}
    rig.local["r1"].now += 10.0  # no successful renewal for a whole ttl
    assert one.leader() is None and _held(one) == set()


def test_a_clean_leave_hands_over_at_once(rig: Rig) -> None:
    one, two = rig.member("r1"), rig.member("r2")
    for m in (one, two, one, two):
        m.tick()
    one.leave()
    two.tick()
    assert _held(two) == {0, 1, 2, 3} and two.leader() is not None
