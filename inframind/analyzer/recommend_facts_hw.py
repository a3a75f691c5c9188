"""Facts about the hardware behind a finding: how a series rose, the LUN behind a host device, a rack's day of BMC
events, a drive's shelf and slot, I/O queueing, a load move. Pure: the measurements come from
:mod:`.recommend_context` (``Context.measured``), the names from the inventory.

Measurement shapes (plain JSON, so they can be stored and checked):

- ``rise``: ``{"t": [unix s ...], "v": [values ...]}``, the finding's series over the hours before it;
- ``lun``: ``{"device", "wwn", "writes_before", "writes_now", "in_flight", "await_s"}`` (writes per second before
  the rise and over its last quarter hour, average requests in flight and seconds per IO now);
- ``rack``: ``{"rack", "hours", "counts": {asset: events}, "inlet": {asset: celsius}}`` (the rule's events of every
  host of the rack over a day, and each host's latest inlet temperature);
- ``drive``: ``{"serial", "enclosure", "slot", "location"}`` (the drive's Redfish location).

A measurement that is missing or does not match the inventory adds no fact: the template needing it then fails.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from inframind.analyzer.findings import FactEvidence, Finding
from inframind.analyzer.recommend_series import queue_depth_for, rise
from inframind.inventory import Asset, Inventory

Facts = dict[str, Any]
Measured = Mapping[str, Any] | None
WWN_LABEL = "wwn"
"""Inventory label of a LUN asset holding the WWN the host sees (``node_disk_info{wwn}``)."""
ENCLOSURE_LABEL = "redfish_enclosure"
"""Inventory label of a shelf asset holding the Redfish chassis id of the enclosure (a drive's ``enclosure``)."""


def _when(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pct_or_raw(value: float, unit: str) -> float:
    return round(value * 100.0, 1) if unit == "ratio" else round(value, 3)


def rise_facts(measured: Measured, unit: str) -> Facts:
    """``rise_from``/``rise_to`` (in % for ratios), ``rise_hours`` and ``rise_start`` of the climb that ends the
    measured series; nothing when it did not rise significantly."""
    if not measured:
        return {}
    found = rise(measured.get("t") or [], measured.get("v") or [])
    if found is None:
        return {}
    return {
        "rise_from": _pct_or_raw(found.baseline, unit),
        "rise_to": _pct_or_raw(found.current, unit),
        "rise_peak": _pct_or_raw(found.peak, unit),
        "rise_hours": round(found.hours, 1),
        "rise_start": _when(found.start),
        "rise_start_ts": found.start,
    }


def _by_label(inventory: Inventory | None, kind: str, label: str, value: str) -> Asset | None:
    if inventory is None or not value:
        return None
    wanted = value.lower()
    for asset in inventory.assets.values():
        if asset.kind == kind and asset.labels.get(label, "").lower() == wanted:
            return asset
    return None


def _number(measured: Mapping[str, Any], name: str) -> float | None:
    value = measured.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def lun_facts(measured: Measured, inventory: Inventory | None) -> Facts:
    """The LUN (an inventory ``lun`` asset whose ``wwn`` label is the device's WWN) and its write burst."""
    if not measured:
        return {}
    lun = _by_label(inventory, "lun", WWN_LABEL, str(measured.get("wwn") or ""))
    if lun is None:
        return {}
    out: Facts = {"lun": lun.id, "lun_device": str(measured.get("device") or ""), "lun_wwn": str(measured["wwn"])}
    before, now = _number(measured, "writes_before"), _number(measured, "writes_now")
    if before is not None and now is not None:
        out["writes_before"], out["writes_now"] = round(before), round(now)
        if before > 0:
            out["writes_times"] = round(now / before, 1)
    in_flight = _number(measured, "in_flight")
    if in_flight is not None:
        out["in_flight"] = round(in_flight, 1)
        out["queue_depth"] = queue_depth_for(in_flight)
    await_s = _number(measured, "await_s")
    if await_s is not None:
        out["await_ms"] = round(await_s * 1000.0, 1)
    return out


def _rack_hosts(inventory: Inventory | None, rack: str) -> list[str]:
    if inventory is None:
        return []
    return sorted(a.id for a in inventory.assets.values() if a.rack == rack and a.kind in ("host", "hypervisor"))


def rack_facts(measured: Measured, related: Sequence[Finding], inventory: Inventory | None) -> Facts:
    """A rack's day of BMC events: the total, the host that logged most (``move_from``) and the rack's host with
    the fewest events and the coolest inlet (``move_to``). ``related`` findings of the incident add the hosts they
    name to the rack's members."""
    if not measured or not measured.get("rack"):
        return {}
    rack = str(measured["rack"])
    counts = {str(k): int(v) for k, v in (measured.get("counts") or {}).items() if isinstance(v, int | float)}
    inlet = {str(k): float(v) for k, v in (measured.get("inlet") or {}).items() if isinstance(v, int | float)}
    total = sum(counts.values())
    if total <= 0:
        return {}
    out: Facts = {"rack": rack, "rack_count": total, "rack_hours": round(float(measured.get("hours") or 24.0), 1)}
    out["rack_assets"] = sorted(a for a, n in counts.items() if n > 0)
    members = sorted({*_rack_hosts(inventory, rack), *counts, *(f.asset_id for f in related if f.asset_id in counts)})
    hottest = max(sorted(counts), key=lambda a: counts[a])
    out["move_from"], out["move_from_count"] = hottest, counts[hottest]
    others = [m for m in members if m != hottest]
    if others:
        target = min(others, key=lambda a: (counts.get(a, 0), inlet.get(a, math.inf), a))
        out["move_to"], out["move_to_count"] = target, counts.get(target, 0)
    if hottest in inlet:
        out["inlet_from"] = round(inlet[hottest], 1)
    if "move_to" in out and out["move_to"] in inlet:
        out["inlet_to"] = round(inlet[out["move_to"]], 1)
    return out


def _attribute(finding: Finding, prefix: str) -> Mapping[str, Any]:
    found = next((e for e in finding.evidence if isinstance(e, FactEvidence) and e.name.startswith(prefix)), None)
    return found.values if found is not None else {}


def disk_facts(finding: Finding, measured: Measured, inventory: Inventory | None) -> Facts:
    """Horizon, probability, the SMART counters that grew, and the drive's shelf and slot (the inventory shelf
    whose ``redfish_enclosure`` label is the drive's Redfish enclosure)."""
    out: Facts = {}
    summary = _attribute(finding, "disk failure probability")
    if isinstance(summary.get("horizon_days"), int | float):
        out["horizon_days"] = round(float(summary["horizon_days"]), 1)
    if isinstance(summary.get("baseline_probability"), int | float):
        out["baseline_pct"] = round(float(summary["baseline_probability"]) * 100.0, 2)
    for name, prefix in (("reallocated", "SMART 5 "), ("pending", "SMART 197 ")):
        values = _attribute(finding, prefix)
        if isinstance(values.get("value"), int | float):
            out[name] = round(float(values["value"]))
        if isinstance(values.get("growth"), int | float):
            out[f"{name}_growth"] = round(float(values["growth"]))
            hours = values.get("growth_window_hours")
            if isinstance(hours, int | float):
                out[f"{name}_growth_days"] = round(float(hours) / 24.0, 1)
    for name in ("serial", "model", "device"):
        if finding.labels.get(name):
            out[f"drive_{name}"] = finding.labels[name]
    if measured:
        slot = str(measured.get("slot") or "")
        shelf = _by_label(inventory, "shelf", ENCLOSURE_LABEL, str(measured.get("enclosure") or ""))
        if slot and shelf is not None:
            out["shelf"], out["slot"] = shelf.id, f"slot-{slot}"
            if shelf.rack:
                out["shelf_rack"] = shelf.rack
    return out


def io_facts(values: Mapping[str, Any], measured: Measured, inventory: Inventory | None) -> Facts:
    """An I/O hint's case, latency, queue and utilization, with the LUN behind the device when known."""
    out: Facts = {}
    if isinstance(values.get("case"), str):
        out["case"] = values["case"]
    if isinstance(values.get("await_seconds"), int | float):
        out["await_ms"] = round(float(values["await_seconds"]) * 1000.0, 1)
    if isinstance(values.get("queue_depth"), int | float):
        out["in_flight"] = round(float(values["queue_depth"]), 1)
        out["queue_depth"] = queue_depth_for(float(values["queue_depth"]))
    if isinstance(values.get("utilization"), int | float):
        out["util_pct"] = round(float(values["utilization"]) * 100.0, 1)
    if isinstance(values.get("device"), str):
        out["device"] = values["device"]
    lun = lun_facts(measured, inventory)
    out.update({k: v for k, v in lun.items() if k in ("lun", "lun_wwn", "writes_before", "writes_now", "writes_times")})
    return out


def hotspot_facts(values: Mapping[str, Any]) -> Facts:
    """A hot member of a group and, when one has room, the move that relieves it (shares in %)."""
    out: Facts = {}
    for name in ("move_from", "move_to", "group", "cold_members"):
        if isinstance(values.get(name), str) and values[name]:
            out[name] = values[name]
    for name, key in (("value", "value_pct"), ("group_median", "median_pct"), ("move_share", "move_pct"),
                      ("source_after", "source_after_pct"), ("target_after", "target_after_pct")):  # fmt: skip
        if isinstance(values.get(name), int | float):
            out[key] = round(float(values[name]) * 100.0, 1)
    if isinstance(values.get("members"), int):
        out["members"] = values["members"]
    if isinstance(values.get("percentile"), int | float):
        out["percentile_p"] = round(float(values["percentile"]) * 100.0)
    return out
