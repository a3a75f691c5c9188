"""Hot and cold nodes within a group, and the move that would even them out.

Input: each asset's utilization of a resource (CPU, memory, disk IO, network) as a ratio of its capacity, taken at
a high percentile over a window by the caller (p95 over a day: a node that is busy only at the daily peak is
still the one that runs out first), and the groups the asset belongs to (``cluster``, ``rack``, ``role`` from
its labels or the inventory).

Within each group: an asset is *hot* when it is at or above ``hot`` and at least ``min_gap`` above the group's
median; the coldest member with room (at or below ``cold``) is the receiver. The suggested move is the share of
the hot asset's load that brings both to the same utilization, in absolute units when capacities are known
(4 of 16 cores busy is not 4 of 64), capped at ``max_move_share``; the expected utilization after it is
reported for both. If even the pair's average is hot, no move helps: the finding says the group needs capacity.
Utilizations at a percentile are not additive, so the figures after a move are estimates ("~").

An asset hot in several groups gets one finding per resource: from the first group in ``groups_by`` order that
offers a move (else the first group it is hot in).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from inframind.analyzer.findings import JSON, FactEvidence, Finding, MetricEvidence, Window

Resource = Literal["cpu", "memory", "disk_io", "network"]
RESOURCE_NAMES: Mapping[str, str] = {"cpu": "CPU", "memory": "Memory", "disk_io": "Disk IO", "network": "Network"}


@dataclass(frozen=True)
class Usage:
    """One asset's utilization of one resource over the window (ratio of its capacity, 0-1)."""

    tenant: str
    asset: str
    resource: Resource
    value: float
    capacity: float | None = None
    """In absolute units (cores, bytes, bytes/s); None when unknown (members are then taken as equal)."""
    groups: Mapping[str, str] = field(default_factory=dict)
    """Group label -> value, e.g. {"cluster": "c1", "rack": "R3", "role": "db"}."""


@dataclass(frozen=True)
class HotColdSettings:
    hot: float = 0.80
    cold: float = 0.35
    min_gap: float = 0.25
    """A hot asset stands at least this far above its group's median."""
    min_members: int = 3
    """Smaller groups have no meaningful median."""
    max_move_share: float = 0.5
    """Never suggest moving more than this share of an asset's load at once."""
    groups_by: tuple[str, ...] = ("cluster", "rack", "role")
    percentile: float = 0.95
    """The percentile the caller took over the window (for titles and evidence)."""
    window_s: float = 86400.0


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    share: float
    """Share of the source's current load to move."""
    amount: float
    """The same in the resource's units (a ratio of the source's capacity when capacities are unknown)."""
    source_before: float
    target_before: float
    source_after: float
    target_after: float


@dataclass(frozen=True)
class Hotspot:
    tenant: str
    group_label: str
    group: str
    resource: Resource
    asset: str
    value: float
    median: float
    members: int
    coldest: tuple[tuple[str, float], ...]
    """The group's members at or below ``cold``, coldest first (at most five)."""
    move: Move | None


@dataclass(frozen=True)
class GroupRatio:
    """An asset's utilization against its group's mean (> 1 hotter than its peers), for the hotspot gauge."""

    tenant: str
    group: str
    """``label=value`` (``rack=R3``)."""
    asset: str
    resource: Resource
    ratio: float


def _groups(usages: Sequence[Usage], label: str) -> dict[tuple[str, Resource, str], list[Usage]]:
    out: dict[tuple[str, Resource, str], list[Usage]] = {}
    for u in usages:
        value = u.groups.get(label, "")
        if value:
            out.setdefault((u.tenant, u.resource, value), []).append(u)
    return out


def plan_move(hot: Usage, cold: Usage, settings: HotColdSettings) -> Move | None:
    """The move that evens ``hot`` and ``cold`` out (capped), or None when the pair's average is hot too."""
    equal = hot.capacity is None or cold.capacity is None or hot.capacity <= 0 or cold.capacity <= 0
    cap_hot, cap_cold = (1.0, 1.0) if equal else (float(hot.capacity or 1.0), float(cold.capacity or 1.0))
    load_hot, load_cold = hot.value * cap_hot, cold.value * cap_cold
    level = (load_hot + load_cold) / (cap_hot + cap_cold)
    if level >= settings.hot or load_hot <= 0:
        return None
    amount = min(load_hot - level * cap_hot, settings.max_move_share * load_hot)
    return Move(
        source=hot.asset,
        target=cold.asset,
        share=amount / load_hot,
        amount=amount,
        source_before=hot.value,
        target_before=cold.value,
        source_after=(load_hot - amount) / cap_hot,
        target_after=(load_cold + amount) / cap_cold,
    )


def find_hotspots(usages: Sequence[Usage], settings: HotColdSettings | None = None) -> list[Hotspot]:
    """Hot assets per group and resource, each with its move (receivers are used once per group)."""
    s = settings or HotColdSettings()
    found: dict[tuple[str, str, str], Hotspot] = {}
    for label in s.groups_by:
        for (tenant, resource, group), members in sorted(_groups(usages, label).items()):
            if len(members) < s.min_members:
                continue
            median = statistics.median(u.value for u in members)
            hot = sorted(
                (u for u in members if u.value >= s.hot and u.value - median >= s.min_gap),
                key=lambda u: (-u.value, u.asset),
            )
            cold = sorted((u for u in members if u.value <= s.cold), key=lambda u: (u.value, u.asset))
            coldest = tuple((u.asset, u.value) for u in cold[:5])
            receivers = list(cold)
            for u in hot:
                move = None
                for receiver in receivers:
                    move = plan_move(u, receiver, s)
                    if move is not None:
                        receivers.remove(receiver)
                        break
                spot = Hotspot(tenant, label, group, resource, u.asset, u.value, median, len(members), coldest, move)
                key = (tenant, resource, u.asset)
                if key not in found or (found[key].move is None and move is not None):
                    found[key] = spot
    return list(found.values())


def group_ratios(usages: Sequence[Usage], settings: HotColdSettings | None = None) -> list[GroupRatio]:
    """Every member's utilization over its group's mean, for groups of at least ``min_members``."""
    s = settings or HotColdSettings()
    out: list[GroupRatio] = []
    for label in s.groups_by:
        for (tenant, resource, group), members in sorted(_groups(usages, label).items()):
            mean = sum(u.value for u in members) / len(members)
            if len(members) < s.min_members or mean <= 0:
                continue
            out.extend(GroupRatio(tenant, f"{label}={group}", u.asset, resource, u.value / mean) for u in members)
    return out


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def hotspot_finding(
    spot: Hotspot, window: Window, query: Callable[[Resource, str], str], s: HotColdSettings
) -> Finding:
    """``query(resource, asset)`` is the PromQL of the asset's utilization, for the evidence."""
    name = RESOURCE_NAMES.get(spot.resource, spot.resource)
    where = f"{spot.group_label}={spot.group}"
    at = f"p{s.percentile * 100:.0f} over {s.window_s / 3600:.0f}h"
    title = f"{name} hotspot in {where}: {spot.asset} at {_pct(spot.value)} ({at}) vs group median {_pct(spot.median)}"
    m = spot.move
    facts: dict[str, JSON] = {
        "resource": spot.resource,
        "group": where,
        "members": spot.members,
        "value": round(spot.value, 4),
        "group_median": round(spot.median, 4),
        "percentile": s.percentile,
        "window_seconds": s.window_s,
        "cold_members": ", ".join(f"{a} {_pct(v)}" for a, v in spot.coldest),
    }
    if m is not None:
        title += (
            f"; move ~{_pct(m.share)} of its load to {m.target} (now {_pct(m.target_before)}): "
            f"~{_pct(m.source_after)} and ~{_pct(m.target_after)} after"
        )
        facts.update(
            move_from=m.source,
            move_to=m.target,
            move_share=round(m.share, 4),
            move_amount=round(m.amount, 6),
            source_after=round(m.source_after, 4),
            target_after=round(m.target_after, 4),
        )
        action = f"move ~{_pct(m.share)} of the {name.lower()} load of {m.source} to {m.target}"
    else:
        action = "no member has room for its load: add capacity to the group or reduce the load"
        title += f"; {action}"
    facts["action"] = action
    evidence = MetricEvidence(
        query=query(spot.resource, spot.asset),
        window=window,
        observed=round(spot.value, 6),
        expected=round(spot.median, 6),
        unit="ratio",
        labels={spot.group_label: spot.group, "asset": spot.asset},
    )
    return Finding(
        kind=f"hotspot.{spot.resource}",
        asset_id=spot.asset,
        tenant=spot.tenant,
        severity="critical" if spot.value >= 0.95 else "warning",
        title=title,
        window=window,
        evidence=(evidence, FactEvidence("hotspot.move", facts)),
        key=where,
        score=min(1.0, max(0.0, (spot.value - spot.median) / max(1e-9, 1.0 - spot.median))),
        labels={"resource": spot.resource, "group": where},
    )


def hotspot_findings(
    usages: Sequence[Usage],
    end: dt.datetime,
    query: Callable[[Resource, str], str],
    settings: HotColdSettings | None = None,
) -> list[Finding]:
    s = settings or HotColdSettings()
    window = Window(end - dt.timedelta(seconds=s.window_s), end)
    return [hotspot_finding(spot, window, query, s) for spot in find_hotspots(usages, s)]
