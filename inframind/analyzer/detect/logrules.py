"""Log rules: count matching events per group in a sliding window; fire when a threshold holds for ``for:``.

Pure code (no IO, no clock): the service feeds events with their template and asks for findings at a given
time. Rules are data (``rules/logs/*.yml``, loaded by :mod:`inframind.analyzer.rulefiles`), so no scenario
is hard-wired here. A rule's state is small (timestamps inside its window per group) and round-trips through
plain JSON, so restarts neither lose counts nor re-fire.

A rule matches an event when every given matcher matches: ``source``, ``level``, ``event_id``, ``provider``
(any of the listed values), ``regex`` (on the message), ``template`` (the mined template, ``<*>`` as a
wildcard). It fires for a group (by default the asset) when at least ``threshold`` matching events fall in
the last ``window`` and that has been true for ``for``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inframind.analyzer.findings import Finding, LogEvidence, Severity, Window
from inframind.events import LogEvent
from inframind.schema import Duration, PathKey, Regex

GroupKey = Literal["asset_id", "host", "tenant", "source", "event_id", "provider", "template_id"]
MAX_SAMPLES = 3


@dataclass(frozen=True)
class Match:
    source: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    event_id: tuple[str, ...] = ()
    provider: tuple[str, ...] = ()
    regex: Regex | None = None
    template: str | None = None
    """A mined template with ``<*>`` wildcards (``EXT4-fs error (device <*>): <*>``)."""

    def check(self) -> list[tuple[PathKey, str]]:
        if not (self.source or self.level or self.event_id or self.provider or self.regex or self.template):
            return [((), "give at least one matcher: source, level, event_id, provider, regex or template")]
        return []


@dataclass(frozen=True)
class LogRule:
    alert: str
    match: Match
    severity: Severity = "warning"
    threshold: int = 1
    window: Duration = 300.0
    for_: Duration = 0.0
    group_by: tuple[GroupKey, ...] = ("asset_id",)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    """``summary``, ``description``, ``runbook_url``; ``{{ count }}``, ``{{ asset }}``, ``{{ window }}``,
    ``{{ group }}`` and ``{{ template }}`` are filled in."""

    def check(self) -> list[tuple[PathKey, str]]:
        problems: list[tuple[PathKey, str]] = []
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.alert):
            problems.append((("alert",), "expected a name like HostDiskIOErrors (letters, digits, _)"))
        if self.threshold < 1:
            problems.append((("threshold",), "must be at least 1"))
        if self.window <= 0:
            problems.append((("window",), "must be positive"))
        if not self.group_by:
            problems.append((("group_by",), "name at least one field, e.g. [asset_id]"))
        return problems


def template_regex(template: str) -> re.Pattern[str]:
    """``<*>`` matches any run of characters; everything else literally (whitespace-insensitive)."""
    parts = [r"\s+".join(re.escape(w) for w in piece.split()) for piece in template.split("<*>")]
    return re.compile(".*?".join(parts), re.DOTALL)


@dataclass
class _Group:
    tenant: str = ""
    times: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    pending_since: float | None = None
    fired: bool = False


class RuleState:
    """Sliding-window counts of one rule, per group; JSON round trip via to_dict/from_dict."""

    def __init__(self, rule: LogRule) -> None:
        self.rule = rule
        self.groups: dict[str, _Group] = {}
        self._template = template_regex(rule.match.template) if rule.match.template else None
        self._last_template: tuple[str, str] | None = None

    def matches(self, event: LogEvent, template: str | None) -> bool:
        m = self.rule.match
        checks: Iterable[tuple[tuple[str, ...], str | None]] = (
            (m.source, event.source), (m.level, event.level), (m.event_id, event.event_id),
            (m.provider, event.provider),
        )  # fmt: skip
        if any(values and value not in values for values, value in checks):
            return False
        if m.regex is not None and m.regex.compiled.search(event.message) is None:
            return False
        return self._template is None or self._template.fullmatch(template or event.message) is not None

    def group_key(self, event: LogEvent, template_id: str | None) -> str:
        values = {"asset_id": event.asset_id or event.host, "host": event.host, "tenant": event.tenant,
                  "source": event.source, "event_id": event.event_id or "", "provider": event.provider or "",
                  "template_id": template_id or ""}  # fmt: skip
        return "|".join(f"{name}={values[name]}" for name in self.rule.group_by)

    def observe(self, event: LogEvent, template: str | None = None, template_id: str | None = None) -> bool:
        if not self.matches(event, template):
            return False
        group = self.groups.setdefault(self.group_key(event, template_id), _Group(event.tenant))
        bisect.insort(group.times, event.timestamp.timestamp())
        if len(group.samples) < MAX_SAMPLES:
            group.samples.append(event.message[:500])
        if template:
            self._last_template = (template_id or "", template)
        return True

    def evaluate(self, now: float) -> list[Finding]:
        """Findings firing at ``now`` (each group fires once until it clears, then may fire again)."""
        rule, found = self.rule, []
        for key, group in list(self.groups.items()):
            cut = bisect.bisect_left(group.times, now - rule.window)
            del group.times[:cut]
            count = sum(1 for t in group.times if t <= now)
            if count < rule.threshold:
                group.pending_since, group.fired = None, False
                if not group.times:
                    del self.groups[key]
                continue
            if group.pending_since is None:
                group.pending_since = now
            if now - group.pending_since >= rule.for_ and not group.fired:
                group.fired = True
                found.append(self._finding(key, group, count, now))
        return found

    def _finding(self, key: str, group: _Group, count: int, now: float) -> Finding:
        rule = self.rule
        fields = dict(part.split("=", 1) for part in key.split("|"))
        asset = fields.get("asset_id") or fields.get("host") or ""
        end = dt.datetime.fromtimestamp(now, tz=dt.UTC)
        window = Window(end - dt.timedelta(seconds=rule.window), end)
        template_id, template = self._last_template or ("", self._describe_match())
        times = [dt.datetime.fromtimestamp(t, tz=dt.UTC) for t in group.times]
        values = {"count": str(count), "asset": asset, "window": _human(rule.window), "group": key,
                  "template": template}  # fmt: skip
        annotations = {name: _fill(text, values) for name, text in rule.annotations.items()}
        return Finding(
            kind="log.rule",
            asset_id=asset,
            tenant=group.tenant,
            severity=rule.severity,
            title=annotations.get("summary") or f"{rule.alert}: {count} matching events in {_human(rule.window)}",
            window=window,
            evidence=(
                LogEvidence(
                    template=template,
                    template_id=template_id,
                    count=count,
                    window=window,
                    first_seen=times[0],
                    last_seen=times[-1],
                    samples=tuple(group.samples),
                    assets=(asset,) if asset else (),
                ),
            ),
            key=f"{rule.alert}|{key}",
            labels={"alertname": rule.alert, **rule.labels},
            links={"runbook": annotations["runbook_url"]} if "runbook_url" in annotations else {},
        )

    def _describe_match(self) -> str:
        m = self.rule.match
        if m.template:
            return m.template
        if m.regex is not None:
            return m.regex.pattern
        parts = [f"{name} in {', '.join(values)}" for name, values in
                 (("source", m.source), ("level", m.level), ("event_id", m.event_id), ("provider", m.provider))
                 if values]  # fmt: skip
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            key: {"tenant": g.tenant, "times": g.times, "samples": g.samples, "pending_since": g.pending_since,
                  "fired": g.fired}
            for key, g in self.groups.items()
        }  # fmt: skip

    def restore(self, data: Mapping[str, Any]) -> None:
        self.groups = {
            key: _Group(str(g["tenant"]), [float(t) for t in g["times"]], list(g["samples"]), g["pending_since"],
                        bool(g["fired"]))
            for key, g in data.items()
        }  # fmt: skip


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _fill(text: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), text)
