"""I/O tuning hints: what a disk's latency, queue depth and busy time say about where the time goes.

From node_exporter's disk counters averaged over a window (the caller's query): ``await`` (seconds per completed
IO), the average number of requests in flight (``rate(node_disk_io_time_weighted_seconds_total)``, iostat's
aqu-sz) and utilization (``rate(node_disk_io_time_seconds_total)``). Slow IO has two different causes:

- ``queueing``: high latency *with* a deep queue on a busy device: requests wait for each other. The device
  is saturated or the queue is configured badly: spread the load, check the controller's and the block
  layer's queue depth (``nr_requests``, HBA ``queue_depth``) and the I/O scheduler (``none``/``mq-deadline``
  for SSDs, ``mq-deadline``/``bfq`` for disks).
- ``slow_device``: high latency with almost nothing queued: each request is slow on its own. The device (or what
  is behind it) is slow: a failing disk (look at SMART), a RAID rebuild or degraded array, SMR writes, a
  throttled or remote LUN.

A deep queue served fast is a busy but healthy device and gives no hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from inframind.analyzer.findings import JSON, FactEvidence, Finding, MetricEvidence, Window

KIND = "hotspot.io"
Case = Literal["queueing", "slow_device"]
HINTS: dict[Case, str] = {
    "queueing": "requests wait in a deep queue on a saturated device: spread the IO over more devices or nodes, "
    "check the controller and block-layer queue depth (nr_requests, HBA queue_depth) and the I/O scheduler "
    "(none or mq-deadline for SSDs)",
    "slow_device": "each IO is slow with little queued: the device itself is slow; check SMART, the RAID or "
    "controller state (rebuild, degraded array, write cache off) and, for a LUN, the storage array's latency",
}


@dataclass(frozen=True)
class DiskLoad:
    tenant: str
    asset: str
    device: str
    await_s: float
    queue: float
    """Average requests in flight."""
    utilization: float
    """Share of time the device was busy (0-1)."""


@dataclass(frozen=True)
class IoSettings:
    await_high_s: float = 0.020
    """Seconds per IO above which latency is worth a look (SSDs answer in well under 1 ms, disks in ~5-10)."""
    queue_high: float = 4.0
    queue_low: float = 1.5
    busy: float = 0.8
    window_s: float = 3600.0


def classify(load: DiskLoad, s: IoSettings) -> Case | None:
    if load.await_s < s.await_high_s:
        return None
    if load.queue >= s.queue_high or (load.queue > s.queue_low and load.utilization >= s.busy):
        return "queueing"
    return "slow_device" if load.queue <= s.queue_low or load.utilization < s.busy else "queueing"


def io_findings(
    loads: Sequence[DiskLoad], end: dt.datetime, query: Callable[[str, str], str], settings: IoSettings | None = None
) -> list[Finding]:
    """A ``hotspot.io`` finding per disk whose latency calls for a hint; ``query(asset, device)`` names its await."""
    s = settings or IoSettings()
    window = Window(end - dt.timedelta(seconds=s.window_s), end)
    out = []
    for load in loads:
        case = classify(load, s)
        if case is None:
            continue
        facts: dict[str, JSON] = {
            "case": case,
            "device": load.device,
            "await_seconds": round(load.await_s, 6),
            "queue_depth": round(load.queue, 3),
            "utilization": round(load.utilization, 4),
            "hint": HINTS[case],
        }
        what = "queueing on a saturated device" if case == "queueing" else "the device itself is slow"
        out.append(
            Finding(
                kind=KIND,
                asset_id=load.asset,
                tenant=load.tenant,
                severity="warning",
                title=(
                    f"Disk {load.device} on {load.asset}: {load.await_s * 1000:.1f} ms per IO with "
                    f"{load.queue:.1f} requests in flight, {load.utilization:.0%} busy: {what}"
                ),
                window=window,
                evidence=(
                    MetricEvidence(
                        query=query(load.asset, load.device),
                        window=window,
                        observed=load.await_s,
                        upper=s.await_high_s,
                        unit="seconds",
                        labels={"device": load.device},
                    ),
                    FactEvidence("io.tuning", facts),
                ),
                key=load.device,
                score=min(1.0, load.await_s / (10 * s.await_high_s)),
                labels={"case": case, "device": load.device},
            )
        )
    return out
