"""New templates: warm-up, grace for the miner's over-splits, renames, severity floor, staleness, hold, state."""

from __future__ import annotations

import json

from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.detect.new_template import NewTemplateDetector, NewTemplateSettings
from inframind.analyzer.detect.templates import MinerSet
from inframind.analyzer.findings import LogEvidence

T0 = 1_790_000_000.0
HOUR = 3600.0
SETTINGS = NewTemplateSettings(warmup=HOUR, asset_warmup=600, grace=300, hold=2 * HOUR, max_age=HOUR)


class Feed:
    """A real miner in front of the detector, as the service wires them."""

    def __init__(self, settings: NewTemplateSettings = SETTINGS) -> None:
        self.miners = MinerSet()
        self.detector = NewTemplateDetector(settings)

    def __call__(self, at: float, message: str, asset: str = "srv-1", level: str = "error") -> TemplateHit:
        r = self.miners.add("acme", "journald", message)
        hit = TemplateHit("acme", "journald", asset, at, level, message, r.template_id, r.template, r.change,
                          r.changed_from, tuple(r.params), provider="kernel")  # fmt: skip
        self.detector.observe(hit)
        return hit


def warm(feed: Feed, assets: tuple[str, ...] = ("srv-1",)) -> None:
    """An hour of routine lines on every asset: the warm-up."""
    for i in range(60):
        for asset in assets:
            feed(T0 + 60 * i, f"eth0: link up, speed {i % 3} Gbps", asset, "info")
            feed(T0 + 60 * i + 1, f"Connection timed out to 10.0.0.{i % 7}", asset, "warning")


def test_nothing_is_new_during_warmup_and_a_new_error_class_is_after_it() -> None:
    feed = Feed()
    warm(feed)
    assert feed.detector.evaluate(T0 + HOUR) == []
    start = T0 + HOUR + 60
    for i in range(3):
        feed(start + i, f"blk_update_request: I/O error, dev sda, sector {1000 + 8 * i}")
    assert feed.detector.evaluate(start + 60) == []  # still in grace
    [finding] = feed.detector.evaluate(start + 301)
    evidence = finding.evidence[0]
    assert finding.kind == "log.new_template" and finding.asset_id == "srv-1" and finding.severity == "critical"
    assert isinstance(evidence, LogEvidence)
    assert evidence.template == "blk_update_request: I/O error, dev sda, sector <NUM>" and evidence.count == 3
    assert evidence.samples[0] == "blk_update_request: I/O error, dev sda, sector 1000"
    assert evidence.first_seen.timestamp() == start and evidence.parameters == {"<NUM>": ("1000", "1008", "1016")}
    assert finding.labels == {"impact": "data", "category": "storage", "source": "journald"}
    again = feed.detector.evaluate(start + 400)
    assert [f.fingerprint for f in again] == [finding.fingerprint]


def test_a_generalization_of_a_known_template_is_not_new() -> None:
    feed = Feed()
    for i in range(2):
        feed(T0 + i, f"blk_update_request: I/O error, dev sda, sector {100 + i}")
    later = T0 + 2 * HOUR
    hit = feed(later, "blk_update_request: I/O error, dev sdb, sector 100")
    assert hit.change == "updated" and hit.changed_from
    assert feed.detector.evaluate(later + 400) == []


def test_an_over_split_that_heals_within_grace_is_suppressed() -> None:
    feed = Feed()
    for i in range(10):
        feed(T0 + i, "Failed password for root from 10.0.0.1 port 22 ssh2")
    after = T0 + 2 * HOUR
    split = feed(after, "Failed password for admin from 10.0.0.1 port 22 ssh2")
    assert split.change == "created"  # the miner's stability caveat: a new id for a known class
    healed = feed(after + 30, "Failed password for bob from 10.0.0.1 port 22 ssh2")
    assert split.template_id in healed.changed_from
    assert feed.detector.evaluate(after + 400) == []


def test_a_reported_template_that_later_merges_into_a_known_class_resolves() -> None:
    feed = Feed()
    for i in range(10):
        feed(T0 + i, "Failed password for root from 10.0.0.1 port 22 ssh2")
    after = T0 + 2 * HOUR
    feed(after, "Failed password for admin from 10.0.0.1 port 22 ssh2")
    assert len(feed.detector.evaluate(after + 301)) == 1
    feed(after + 400, "Failed password for bob from 10.0.0.1 port 22 ssh2")
    assert feed.detector.evaluate(after + 401) == []


def test_known_on_one_asset_is_still_new_on_another_after_its_warmup() -> None:
    feed = Feed()
    warm(feed, ("srv-1", "srv-2"))
    for i in range(5):
        feed(T0 + 10 + i, "EXT4-fs error (device sda1): ext4_find_entry: reading directory lblock 0", "srv-1")
    start = T0 + 2 * HOUR
    feed(start, "EXT4-fs error (device sda1): ext4_find_entry: reading directory lblock 0", "srv-2")
    [finding] = feed.detector.evaluate(start + 301)
    assert finding.asset_id == "srv-2"


def test_a_new_asset_learns_silently_for_its_own_warmup() -> None:
    feed = Feed()
    warm(feed)
    start = T0 + 2 * HOUR
    feed(start, "eth0: link up, speed 1 Gbps", "srv-new", "info")
    feed(start + 10, "mce: [Hardware Error]: Machine check events logged", "srv-new")
    assert feed.detector.evaluate(start + 400) == []
    feed(start + 700, "EDAC MC0: 1 CE memory read error on DIMM_A1", "srv-new")
    [finding] = feed.detector.evaluate(start + 1100)
    assert finding.asset_id == "srv-new" and finding.labels["category"] == "memory"


def test_minor_and_stale_candidates_are_learned_silently() -> None:
    feed = Feed()
    warm(feed)
    start = T0 + 2 * HOUR
    feed(start, "Started Session 42 of user alice.", level="info")
    assert feed.detector.evaluate(start + 301) == []
    feed(start + 10, "Kernel panic - not syncing: Fatal exception in interrupt")
    assert feed.detector.evaluate(start + 10 + HOUR + 1) == []  # its only occurrence is older than max_age
    feed(start + 2 * HOUR, "Kernel panic - not syncing: Fatal exception in interrupt")
    assert feed.detector.evaluate(start + 2 * HOUR + 301) == []  # learned: not new any more


def test_a_reported_template_resolves_after_hold_without_occurrences() -> None:
    feed = Feed()
    warm(feed)
    start = T0 + 2 * HOUR
    feed(start, "nfs: server filer01 not responding, still trying")
    assert len(feed.detector.evaluate(start + 301)) == 1
    feed(start + HOUR, "nfs: server filer01 not responding, still trying")
    [finding] = feed.detector.evaluate(start + 2 * HOUR)
    assert finding.evidence[0].count == 2  # type: ignore[union-attr]
    assert feed.detector.evaluate(start + 3 * HOUR + 1) == []
    feed(start + 4 * HOUR, "nfs: server filer01 not responding, still trying")
    assert feed.detector.evaluate(start + 4 * HOUR + 301) == []  # known now


def test_state_round_trips_and_dirty_parts_are_small() -> None:
    feed = Feed()
    warm(feed)
    start = T0 + 2 * HOUR
    feed(start, "ata1.00: failed command: READ FPDMA QUEUED")
    assert set(feed.detector.dirty_parts()) == {"known", "seen"}
    feed.detector.mark_clean()
    feed(start + 5, "eth0: link up, speed 2 Gbps", level="info")  # known: changes nothing
    assert feed.detector.dirty_parts() == {}
    restored = NewTemplateDetector(SETTINGS)
    restored.restore(json.loads(json.dumps(feed.detector.to_dict())))
    assert [f.to_dict() for f in restored.evaluate(start + 301)] == [
        f.to_dict() for f in feed.detector.evaluate(start + 301)
    ]
    assert restored.known == feed.detector.known
