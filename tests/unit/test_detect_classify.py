"""Severity, impact and category of log templates: level, words, source, event id and the asset's criticality."""

from __future__ import annotations

import pytest

from inframind.analyzer.detect.classify import classify, classify_template, with_criticality
from inframind.analyzer.detect.loghits import TemplateHit


@pytest.mark.parametrize(
    ("level", "template", "source", "provider", "event_id", "expected"),
    [
        ("info", "Accepted password for <*> from <IP> port <NUM> ssh2", "syslog", "sshd", None,
         ("info", "none", "auth")),
        ("error", "blk_update_request: I/O error, dev <*>, sector <NUM>", "journald", "kernel", None,
         ("critical", "data", "storage")),
        ("info", "Out of memory: Killed process <NUM> (<*>)", "journald", "kernel", None,
         ("critical", "outage", "memory")),
        ("warning", "nfs: server <*> not responding, still trying", "syslog", "kernel", None,
         ("warning", "outage", "network")),
        ("info", "Failed password for <*> from <IP> port <NUM> ssh2", "syslog", "sshd", None,
         ("warning", "security", "auth")),
        ("info", "<*>: NIC Link is Down", "journald", "kernel", None, ("warning", "risk", "network")),
        ("warning", "EXT4-fs error (device <*>): <*>", "journald", "kernel", None, ("warning", "data", "storage")),
        ("info", "md/raid1:<*>: Disk failure on <*>, disabling device.", "journald", "kernel", None,
         ("warning", "data", "storage")),
        ("error", "Fan <NUM> reading <NUM> RPM below threshold", "sel", None, None, ("warning", "risk", "hardware")),
        ("info", "Correctable ECC memory error on DIMM <*>", "sel", None, None, ("warning", "risk", "memory")),
        ("warning", "An account failed to log on. <*>", "eventlog", "Microsoft-Windows-Security-Auditing", "4625",
         ("warning", "security", "auth")),
        ("error", "The device, <*>, has a bad block.", "eventlog", "disk", "7", ("critical", "data", "storage")),
        ("critical", "The system has rebooted without cleanly shutting down first.", "eventlog", "Kernel-Power", "41",
         ("critical", "risk", "hardware")),
        ("info", "Started Daily apt download activities.", "journald", "systemd", None,
         ("info", "none", "application")),
        ("warning", "connection to <IP> timed out, retrying", "syslog", None, None, ("warning", "degraded", "network")),
    ],
)  # fmt: skip
def test_templates_classify(
    level: str, template: str, source: str, provider: str | None, event_id: str | None, expected: tuple[str, ...]
) -> None:
    verdict = classify_template(level, template, source, provider, event_id)
    assert (verdict.severity, verdict.impact, verdict.category) == expected
    assert verdict.labels == {"impact": expected[1], "category": expected[2]}


def test_only_the_template_words_count_not_the_variable_parts() -> None:
    """A wildcard that happened to hold the word "error" says nothing about the class of the message."""
    hit = TemplateHit("acme", "syslog", "srv-1", 0.0, "info", "job error-report completed", "t1", "job <*> completed")
    assert classify(hit).severity == "info"
    assert classify_template("info", "job error-report completed").severity == "warning"


def test_level_sets_a_floor_and_words_raise_it() -> None:
    assert classify_template("error", "Something happened").severity == "warning"
    assert classify_template("critical", "Something happened").severity == "critical"
    assert classify_template("debug", "Kernel panic - not syncing: <*>").severity == "critical"
    assert classify_template("info", "retrying request <NUM>").severity == "warning"
    assert classify_template("info", "retrying request <NUM>").rank == 1


@pytest.mark.parametrize(
    ("level", "template", "criticality", "severity"),
    [
        ("error", "Connection refused", "medium", "warning"),
        ("error", "Connection refused", "high", "critical"),
        ("error", "Connection refused", "critical", "critical"),
        ("error", "Connection refused", "low", "warning"),
        ("warning", "retrying", "critical", "warning"),
        ("warning", "retrying", "low", "info"),
        ("info", "Started session", "critical", "info"),
        ("error", "I/O error on dev sda", "low", "warning"),
    ],
)
def test_asset_criticality_moves_severity(level: str, template: str, criticality: str, severity: str) -> None:
    assert with_criticality(classify_template(level, template), criticality).severity == severity
    hit = TemplateHit("acme", "syslog", "db-1", 0.0, level, template, "t", template)
    assert classify(hit, criticality).severity == severity


def test_verdicts_are_cached_per_template() -> None:
    classify_template.cache_clear()
    for _ in range(5):
        classify_template("error", "disk <*> failed", "journald")
    info = classify_template.cache_info()
    assert (info.hits, info.misses) == (4, 1)
