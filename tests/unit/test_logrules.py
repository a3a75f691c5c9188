"""Log rules: matching, windows, thresholds, for:, state round trip, and the shipped rules on real-format lines.

The rules drive the behaviour: removing a shipped rule file makes its finding disappear and adding one makes a
new finding appear, with no code change.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from inframind.analyzer.detect.logrules import LogRule, Match, RuleState, template_regex
from inframind.analyzer.rulefiles import RuleGroup, load_log_rules
from inframind.events import Level, LogEvent, Source
from inframind.schema import ConfigError, Regex

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def event(
    message: str,
    at: float = 0,
    source: Source = "journald",
    asset: str = "srv-1",
    level: Level = "error",
    event_id: str | None = None,
) -> LogEvent:
    return LogEvent(
        timestamp=T0 + dt.timedelta(seconds=at),
        source=source,
        level=level,
        message=message,
        host=asset,
        asset_id=asset,
        tenant="acme",
        event_id=event_id,
    )


def fire(groups: list[RuleGroup], events: list[LogEvent], at: float) -> dict[str, list[str]]:
    """Alert name -> assets it fires for, after feeding ``events`` and evaluating at T0 + ``at``."""
    fired: dict[str, list[str]] = {}
    for group in groups:
        for rule in group.rules:
            state = RuleState(rule)
            for e in events:
                state.observe(e)
            for finding in state.evaluate((T0 + dt.timedelta(seconds=at)).timestamp()):
                fired.setdefault(rule.alert, []).append(finding.asset_id)
    return fired


def test_threshold_window_and_for() -> None:
    rule = LogRule("Flaps", Match(regex=Regex("Link is Down")), threshold=3, window=600, for_=60)
    state = RuleState(rule)
    for at in (0, 100, 200):
        state.observe(event("eth0: NIC Link is Down", at))
    state.observe(event("eth0: NIC Link is Up", 210))
    now = T0.timestamp()
    assert state.evaluate(now + 200) == []  # threshold met, `for` not yet
    found = state.evaluate(now + 260)
    assert len(found) == 1
    f = found[0]
    assert (f.kind, f.asset_id, f.tenant, f.labels["alertname"]) == ("log.rule", "srv-1", "acme", "Flaps")
    assert f.evidence[0].count == 3 and f.evidence[0].samples[0] == "eth0: NIC Link is Down"  # type: ignore[union-attr]
    assert state.evaluate(now + 300) == []  # fired once, not on every evaluation
    assert state.evaluate(now + 700) == []  # the window slid past two events: cleared
    for at in (800, 810, 820):
        state.observe(event("eth0: NIC Link is Down", at))
    assert state.evaluate(now + 820) == [] and len(state.evaluate(now + 900)) == 1  # fires again after clearing


def test_groups_are_per_asset_and_state_round_trips() -> None:
    rule = LogRule("X", Match(event_id=("4625",), source=("eventlog",)), threshold=2, window=300)
    state = RuleState(rule)
    for asset in ("a", "a", "b"):
        state.observe(event("An account failed to log on.", 10, "eventlog", asset, event_id="4625"))
    restored = RuleState(rule)
    restored.restore(json.loads(json.dumps(state.to_dict())))
    assert [f.asset_id for f in restored.evaluate(T0.timestamp() + 20)] == ["a"]


def test_template_matcher() -> None:
    rx = template_regex("EXT4-fs error (device <*>): <*>")
    assert rx.fullmatch("EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2")
    assert not rx.fullmatch("EXT4-fs warning (device sda1): x")
    rule = LogRule("T", Match(template="Out of memory: Killed process <*> (<*>)"))
    assert RuleState(rule).observe(event("x"), template="Out of memory: Killed process <*> (<*>)")


LINES = {
    "LinuxBlockIOErrors": [
        "blk_update_request: I/O error, dev sdb, sector 123456 op 0x1:(WRITE) flags 0x800",
        "I/O error, dev sda, sector 2048 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 0",
    ],
    "LinuxATACommandFailures": [
        "ata3.00: failed command: READ FPDMA QUEUED",
        "ata3: hard resetting link",
        "ata3.00: exception Emask 0x0 SAct 0x1 SErr 0x0 action 0x0",
    ],
    "LinuxSCSIDiskFailed": ["sd 2:0:0:0: [sdb] tag#0 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE"],
    "LinuxExt4Errors": ["EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading lblock 0"],
    "LinuxMDArrayDegraded": ["md/raid1:md0: Disk failure on sdb1, disabling device."],
    "LinuxOOMKills": ["Out of memory: Killed process 4242 (java) total-vm:8125340kB, anon-rss:6001232kB"],
    "LinuxMemoryErrors": ["EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"],
    "LinuxNICLinkFlaps": ["e1000e 0000:00:19.0 eth0: NIC Link is Down"] * 3,
}


@pytest.mark.parametrize("alert", sorted(LINES))
def test_shipped_linux_rules_fire_on_real_format_lines(alert: str) -> None:
    groups = load_log_rules([str(ROOT / "rules" / "logs")])
    fired = fire(groups, [event(line, i) for i, line in enumerate(LINES[alert])], 60)
    assert fired.get(alert) == ["srv-1"], fired


def test_shipped_windows_and_bmc_rules() -> None:
    groups = load_log_rules([str(ROOT / "rules" / "logs")])
    shutdowns = [
        event("The previous system shutdown was unexpected.", i * 3600, "eventlog", event_id="6008") for i in range(2)
    ]
    logons = [
        event("An account failed to log on.", 3600 + i, "eventlog", level="info", event_id="4625") for i in range(25)
    ]
    storage = [event("The device has a bad block.", 3600 + i, "eventlog", event_id="7") for i in range(3)]
    psu = [event("Power Supply PS2: Power Supply AC lost - Asserted", 3600, "sel", "bmc-1", level="critical")]
    quiet = [event("Temperature CPU1: Upper Non-critical going high", 3600, "sel", "bmc-2", level="info")]
    fired = fire(groups, shutdowns + logons + storage + psu + quiet, 3630)
    assert fired == {
        "WindowsUnexpectedShutdowns": ["srv-1"],
        "WindowsLogonFailureBurst": ["srv-1"],
        "WindowsStorageErrors": ["srv-1"],
        "BMCPowerSupplyEvents": ["bmc-1"],
    }


def test_rules_drive_behaviour(tmp_path: Path) -> None:
    rules = tmp_path / "logs"
    shutil.copytree(ROOT / "rules" / "logs", rules)
    oom = [event(LINES["LinuxOOMKills"][0], 0)]
    assert "LinuxOOMKills" in fire(load_log_rules([str(rules)]), oom, 10)
    (rules / "linux.yml").unlink()
    assert "LinuxOOMKills" not in fire(load_log_rules([str(rules)]), oom, 10)
    (rules / "custom.yml").write_text(
        "groups:\n  - name: custom\n    rules:\n      - alert: JavaKilled\n"
        "        match: {regex: 'Killed process \\d+ \\(java\\)'}\n        severity: critical\n"
    )
    assert fire(load_log_rules([str(rules)]), oom, 10)["JavaKilled"] == ["srv-1"]


def test_rule_file_errors_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: 'has space'\n        match: {}\n        threshold: 0\n"
        "      - alert: Ok\n        match: {regex: '(unclosed'}\n        severity: page\n"
    )
    with pytest.raises(ConfigError) as err:
        load_log_rules([str(bad)])
    text = str(err.value)
    assert f"{bad}:5: groups[0].rules[0].match: give at least one matcher" in text
    assert f"{bad}:8: groups[0].rules[1].match.regex: invalid regular expression" in text
    assert f"{bad}:9: groups[0].rules[1].severity: expected one of info, warning, critical" in text
    dup = tmp_path / "dup.yml"
    dup.write_text("groups:\n  - name: h\n    rules:\n      - {alert: LinuxOOMKills, match: {regex: x}}\n")
    with pytest.raises(ConfigError, match="alert name used twice"):
        load_log_rules([str(ROOT / "rules" / "logs"), str(dup)])


def test_every_shipped_log_rule_has_a_runbook_and_a_summary() -> None:
    for group in load_log_rules([str(ROOT / "rules" / "logs")]):
        for rule in group.rules:
            assert "summary" in rule.annotations, rule.alert
            assert rule.annotations.get("runbook_url") == f"docs/runbooks/{rule.alert}.md", rule.alert
            assert (ROOT / "docs" / "runbooks" / f"{rule.alert}.md").is_file(), rule.alert
