"""Log rule files (``rules/logs/*.yml``): loading and validation, with errors that name file, line and field.

The format follows Prometheus rule groups, with ``match:`` and a count threshold in place of ``expr:``::

    groups:
      - name: windows
        rules:
          - alert: WindowsUnexpectedShutdowns
            match: {source: [eventlog], event_id: ["6008", "41"]}
            threshold: 2          # events in the window, per group (default: per asset)
            window: 1d
            for: 0s
            severity: critical
            labels: {team: windows}
            annotations:
              summary: "{{ asset }} shut down unexpectedly {{ count }} times in {{ window }}"
              runbook_url: docs/runbooks/WindowsUnexpectedShutdowns.md
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inframind.analyzer.detect.logrules import LogRule
from inframind.schema import ConfigError, Duration, Issue, build, load_yaml_file


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[LogRule, ...]
    interval: Duration = 60.0
    """How often the analyzer evaluates the group."""


@dataclass(frozen=True)
class RuleFile:
    groups: tuple[RuleGroup, ...] = ()


def _rename_for(data: Any) -> Any:
    """YAML says ``for:`` (as Prometheus does); the field is ``for_`` (``for`` is a Python keyword)."""
    if isinstance(data, dict):
        for group in data.get("groups") or []:
            for rule in (group.get("rules") or []) if isinstance(group, dict) else []:
                if isinstance(rule, dict) and "for" in rule:
                    rule["for_"] = rule.pop("for")
    return data


def load_rule_file(path: str | Path) -> RuleFile:
    data, origin = load_yaml_file(path)
    return build(RuleFile, _rename_for(data or {}), origin)


def rule_paths(patterns: Iterable[str]) -> list[Path]:
    """Files matching the glob patterns (a directory means ``DIR/*.yml``), sorted, each once."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        if Path(pattern).is_dir():
            pattern = str(Path(pattern) / "*.yml")  # noqa: PLW2901 - a directory stands for its rule files
        for name in sorted(glob.glob(pattern)):
            found.setdefault(Path(name), None)
    return list(found)


def load_log_rules(patterns: Iterable[str]) -> list[RuleGroup]:
    """Every group of every file; raises ConfigError with all issues, including alert names used twice."""
    groups: list[RuleGroup] = []
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    for path in rule_paths(patterns):
        try:
            parsed = load_rule_file(path)
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        for group in parsed.groups:
            for rule in group.rules:
                if rule.alert in seen:
                    issues.append(
                        Issue(
                            str(path),
                            None,
                            f"groups.{group.name}.{rule.alert}",
                            f"alert name used twice (also in {seen[rule.alert]})",
                        )
                    )
                seen.setdefault(rule.alert, str(path))
            groups.append(group)
    if issues:
        raise ConfigError(issues)
    return groups
