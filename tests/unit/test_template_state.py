"""Snapshots are plain JSON, and a restored miner continues exactly as one that never stopped."""

from __future__ import annotations

import json
import random

import pytest

from inframind.analyzer.detect.templates import MinerConfig, MineResult, MinerSet, TemplateMiner, restore, snapshot
from inframind.analyzer.detect.templates.state import FORMAT, dumps, loads

USERS = ["root", "admin", "oracle", "test", "guest", "ubuntu", "postgres"]


def stream(seed: int, n: int) -> list[str]:
    """A reproducible mix of events with varying values, words and lengths."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        kind = rng.randrange(6)
        ip = f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}"
        if kind == 0:
            lines.append(f"Failed password for {rng.choice(USERS)} from {ip} port {rng.randrange(1, 65535)} ssh2")
        elif kind == 1:
            lines.append(f"Received disconnect from {ip}: 11: Bye Bye [preauth]")
        elif kind == 2:
            lines.append(f"blk_{rng.randrange(10**12)} of size {rng.randrange(10**8)} from /{ip}")
        elif kind == 3:
            lines.append(f"EXT4-fs error (device sd{'abc'[i % 3]}{rng.randrange(1, 4)}): ext4_find_entry:{i}")
        elif kind == 4:
            lines.append(f"job {i} {'finished' if rng.random() < 0.9 else 'failed'} after {rng.randrange(900)}ms")
        else:
            lines.append(f"Invalid user {rng.choice(USERS)} from {ip}")
    return lines


def outcome(r: MineResult) -> tuple[object, ...]:
    return (r.template_id, r.template, r.change, r.changed_from, r.size, r.params)


@pytest.mark.parametrize("max_clusters", [5000, 4])
def test_restore_then_continue_equals_never_stopping(max_clusters: int) -> None:
    lines = stream(7, 1200)
    config = MinerConfig(max_clusters=max_clusters)
    straight = TemplateMiner(config)
    expected = [outcome(straight.add(line)) for line in lines]

    first = TemplateMiner(config)
    got = [outcome(first.add(line)) for line in lines[:500]]
    text = json.dumps(snapshot(first))  # plain JSON all the way
    second = restore(json.loads(text))
    got += [outcome(second.add(line)) for line in lines[500:]]

    assert got == expected
    assert snapshot(second) == snapshot(straight)
    assert second.stats == straight.stats
    if max_clusters == 4:
        assert straight.stats.evictions > 0


def test_dumps_is_deterministic_and_loads_back() -> None:
    miner = TemplateMiner()
    for line in stream(3, 300):
        miner.add(line)
    text = dumps(miner)
    assert dumps(loads(text)) == text
    assert '"format":"inframind.templates/1"' in text


def test_miner_set_keeps_tenants_and_sources_apart_and_round_trips() -> None:
    miners = MinerSet()
    a = miners.add("acme", "syslog", "disk sda failed")
    b = miners.add("globex", "syslog", "disk sda failed")
    miners.add("acme", "eventlog", "disk sda failed")
    assert a.template_id == b.template_id  # same text, same id, in separate miners
    assert sorted(miners) == [("acme", "eventlog"), ("acme", "syslog"), ("globex", "syslog")]
    miners.add("acme", "syslog", "disk sdb failed")
    assert [t.text for t in miners.miner("globex", "syslog").templates()] == ["disk sda failed"]

    copy = MinerSet.restore(json.loads(json.dumps(miners.snapshot())))
    assert len(copy) == 3
    for key in miners:
        assert snapshot(copy.miner(*key)) == snapshot(miners.miner(*key))


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda s: s.update(format="other/9"), "expected format"),
        (lambda s: s.pop("clusters"), "missing or malformed"),
        (lambda s: s["config"].update(bogus=1), "unknown config field"),
        (lambda s: s["clusters"][0].update(since=[]), "since has 0 entries"),
        (lambda s: s["buckets"][0][2].append(999), "unknown cluster 999"),
    ],
)
def test_a_broken_state_says_what_is_wrong(mutate: object, error: str) -> None:
    miner = TemplateMiner()
    miner.add("service started in 5ms")
    state = snapshot(miner)
    assert state["format"] == FORMAT
    mutate(state)  # type: ignore[operator]
    with pytest.raises(ValueError, match=error):
        restore(state)
