"""Every field of ``<procfs>/meminfo`` as ``node_memory_<Field>[_bytes]``, named as node_exporter names them.

``Active(anon)`` becomes ``Active_anon``; a value with a unit (always kB) is multiplied by 1024 and gets
``_bytes``; a count without unit (``HugePages_Total``) keeps its bare name. psutil exposes only a subset
of the fields, so the file is read directly (see :mod:`.files`).
"""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import cannot_read, join, read_text

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def metric_key(field: str) -> str:
    """``Active(anon)`` -> ``Active_anon``: the outermost parentheses become an underscore prefix."""
    start = field.find("(")
    end = field.rfind(")")
    if start == -1 or end < start:
        return field
    return f"{field[:start]}_{field[start + 1 : end]}{field[end + 1 :]}"


def parse_meminfo(text: str, path: str) -> dict[str, float]:
    fields: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (2, 3) or not parts[0].endswith(":"):
            raise cannot_read("meminfo", path, f"malformed line {line!r}")
        try:
            value = float(int(parts[1]))
        except ValueError:
            raise cannot_read("meminfo", path, f"malformed value in line {line!r}") from None
        key = metric_key(parts[0][:-1])
        if len(parts) == 3:
            value *= 1024
            key += "_bytes"
        if key and set(key) <= _NAME_CHARS:  # a field that cannot be a metric name is skipped
            fields[key] = value
    if not fields:
        raise cannot_read("meminfo", path, "no fields")
    return fields


class MeminfoCollector:
    name = "meminfo"

    def __init__(self, procfs: str) -> None:
        self.path = join(procfs, "meminfo")

    def collect(self) -> list[Metric]:
        return self.families(read_text(self.name, self.path))

    def families(self, text: str) -> list[Metric]:
        """The families from the file's text (also used on text read from a remote host)."""
        families: list[Metric] = []
        for key, value in parse_meminfo(text, self.path).items():
            family = CounterMetricFamily if key.endswith("_total") else GaugeMetricFamily
            families.append(family(f"node_memory_{key}", f"Memory information field {key} from meminfo.", value=value))
        return families


def create(config: ExporterConfig) -> MeminfoCollector:
    return MeminfoCollector(config.paths.procfs)
