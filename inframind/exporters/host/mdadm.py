"""Linux software RAID from ``<procfs>/mdstat`` with node_exporter 1.5's metrics and semantics.

Per array: ``node_md_state{state}`` is 1 for exactly one of active, inactive, recovering, resync, check
(a sync line overrides the array's own state, recovery first, then check, then resync);
``node_md_disks{state}`` counts active members (the ``[n/m]`` status, or every member of raid0/linear),
failed ``(F)`` and spare ``(S)`` members; ``node_md_disks_required`` is the ``n`` of ``[n/m]`` (0 when
inactive); ``node_md_blocks_synced`` equals ``node_md_blocks`` unless a sync runs (0 while it is
PENDING or DELAYED). A missing mdstat (no md driver loaded) fails the collector, as node_exporter's does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import cannot_read, join, nonempty, read_text

_STATUS = re.compile(r"(\d+) blocks .*\[(\d+)/(\d+)\] \[[U_]+\]")
_SYNCED = re.compile(r"\((\d+)/\d+\)")
STATES = ("active", "inactive", "recovering", "resync", "check")


@dataclass(frozen=True)
class Array:
    name: str
    state: str
    disks_required: int
    active: int
    failed: int
    spare: int
    blocks: int
    blocks_synced: int


def _status(device_line: str, status_line: str) -> tuple[int, int, int]:
    """(required, active, blocks) from an array's first two lines; raises ValueError if they do not parse."""
    blocks = int(status_line.split(maxsplit=1)[0])
    if "raid0" in device_line or "linear" in device_line:
        members = device_line.count("[")
        return members, members, blocks
    if "inactive" in device_line:
        return 0, 0, blocks
    match = _STATUS.search(status_line)
    if match is None:
        raise ValueError(f"no [n/m] [U_] status in {status_line.strip()!r}")
    return int(match.group(2)), int(match.group(3)), blocks


def _sync(sync_line: str, blocks: int, state: str) -> tuple[str, int]:
    if "recovery" in sync_line:
        state = "recovering"
    elif "check" in sync_line:
        state = "check"
    elif "resync" in sync_line:
        state = "resync"
    else:
        return state, blocks
    if "PENDING" in sync_line or "DELAYED" in sync_line:
        return state, 0
    match = _SYNCED.search(sync_line)
    if match is None:
        raise ValueError(f"no (synced/total) progress in {sync_line.strip()!r}")
    return state, int(match.group(1))


def parse_mdstat(text: str, path: str) -> list[Array]:
    lines = text.split("\n")
    arrays = []
    for i, line in enumerate(lines):
        if not line.strip() or line[0] == " " or line.startswith(("Personalities", "unused")):
            continue
        fields = line.split()
        if len(fields) < 3 or len(lines) <= i + 3:
            raise cannot_read("mdadm", path, f"incomplete array entry {line.strip()!r}")
        try:
            required, active, blocks = _status(line, lines[i + 1])
            sync_line = lines[i + 3] if "bitmap" in lines[i + 2] else lines[i + 2]
            state, synced = _sync(sync_line, blocks, fields[2])
        except (ValueError, IndexError) as exc:
            raise cannot_read("mdadm", path, f"array {fields[0]}: {exc}") from None
        failed, spare = line.count("(F)"), line.count("(S)")
        arrays.append(Array(fields[0], state, required, active, failed, spare, blocks, synced))
    return arrays


class MdadmCollector:
    name = "mdadm"

    def __init__(self, procfs: str) -> None:
        self.path = join(procfs, "mdstat")

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path))

    def families(self, text: str) -> list[Metric]:
        """The families from the file's text (also used on text read from a remote host)."""
        arrays = parse_mdstat(text, self.path)
        state = GaugeMetricFamily("node_md_state", "Whether the array is in this state.", labels=["device", "state"])
        disks = GaugeMetricFamily("node_md_disks", "Member disks of the array by state.", labels=["device", "state"])
        required = GaugeMetricFamily("node_md_disks_required", "Disks the array is configured with.", labels=["device"])
        blocks = GaugeMetricFamily("node_md_blocks", "Size of the array in 1 KiB blocks.", labels=["device"])
        synced = GaugeMetricFamily(
            "node_md_blocks_synced", "Blocks in sync (all of them unless a sync runs).", labels=["device"]
        )
        for a in arrays:
            required.add_metric([a.name], float(a.disks_required))
            disks.add_metric([a.name, "active"], float(a.active))
            disks.add_metric([a.name, "failed"], float(a.failed))
            disks.add_metric([a.name, "spare"], float(a.spare))
            for s in STATES:
                state.add_metric([a.name, s], 1.0 if a.state == s else 0.0)
            blocks.add_metric([a.name], float(a.blocks))
            synced.add_metric([a.name], float(a.blocks_synced))
        return nonempty((state, disks, required, blocks, synced))


def create(config: ExporterConfig) -> MdadmCollector:
    return MdadmCollector(config.paths.procfs)
