"""Memory and swap from ``psutil.virtual_memory()``/``swap_memory()`` as ``node_memory_<Field>_bytes``.

Only a psutil field whose meaning is the Linux meminfo field's becomes that series (all gauges, bytes):

============  =========================================================================================
OS family     virtual_memory() field -> meminfo field
============  =========================================================================================
Linux         total MemTotal, free MemFree, available MemAvailable, buffers Buffers, shared Shmem,
              active Active, inactive Inactive, slab Slab (psutil reads the same /proc/meminfo lines)
BSD           total MemTotal (hw.physmem), free MemFree (free pages), available MemAvailable
              (inactive + cache + free: reclaimable without swapping), active Active, inactive
              Inactive (page queues), buffers Buffers (vfs.bufspace)
macOS         total MemTotal, free MemFree (free minus speculative pages), available MemAvailable
              (inactive + free), active Active, inactive Inactive
Windows       total MemTotal (ullTotalPhys), available MemAvailable (ullAvailPhys: standby + free)
other         total MemTotal
============  =========================================================================================

Every OS: swap_memory() total SwapTotal, free SwapFree (Windows: page file size from the commit limit).
Left out on purpose: Linux ``cached`` (psutil adds SReclaimable, so it is not meminfo's Cached), Windows
``free`` (psutil copies ``available`` into it), BSD ``cached`` and ``shared`` (the VM cache queue and
shared *virtual* memory: not page cache, not Shmem), ``wired``, ``used``, ``percent`` and swap
``sin``/``sout`` (no meminfo field). psutil fills a field an old Linux kernel lacks with 0 and warns;
every field above exists since Linux 3.14.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import psutil
from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.portable.common import OsFamily, os_family, read, warn_ignored_paths

_COMMON = {"total": "MemTotal", "free": "MemFree", "available": "MemAvailable"}
_QUEUES = {"active": "Active", "inactive": "Inactive"}
VIRTUAL: Mapping[OsFamily, Mapping[str, str]] = {
    "linux": _COMMON | _QUEUES | {"buffers": "Buffers", "shared": "Shmem", "slab": "Slab"},
    "bsd": _COMMON | _QUEUES | {"buffers": "Buffers"},
    "darwin": _COMMON | _QUEUES,
    "windows": {"total": "MemTotal", "available": "MemAvailable"},
    "other": {"total": "MemTotal"},
}
SWAP: Mapping[str, str] = {"total": "SwapTotal", "free": "SwapFree"}


class MeminfoCollector:
    name = "meminfo"

    def __init__(self, system: str = sys.platform) -> None:
        self.fields = VIRTUAL[os_family(system)]

    def collect(self) -> list[Metric]:
        virtual = read(self.name, "psutil.virtual_memory()", psutil.virtual_memory)._asdict()
        swap = read(self.name, "psutil.swap_memory()", psutil.swap_memory)._asdict()
        families: list[Metric] = []
        for values, fields in ((virtual, self.fields), (swap, SWAP)):
            for field, key in fields.items():
                if field in values:
                    families.append(
                        GaugeMetricFamily(
                            f"node_memory_{key}_bytes",
                            f"Memory information field {key} (psutil's {field}).",
                            value=float(values[field]),
                        )
                    )
        return families


def create(config: ExporterConfig) -> MeminfoCollector:
    warn_ignored_paths(config)
    return MeminfoCollector()
