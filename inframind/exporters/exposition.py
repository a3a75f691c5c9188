"""The Prometheus text format (0.0.4) for /probe answers, as the Go exporters write it.

snmp_exporter, ipmi_exporter and blackbox_exporter serve text 0.0.4 only, and their counters keep the
device's object names (``ifHCInOctets``, no ``_total``). prometheus_client would type such a family as
``ifHCInOctets_total`` in text and emit invalid OpenMetrics, so /probe always answers in text 0.0.4 and
names a bare counter's HELP and TYPE after the family itself: the same bytes the Go exporters send.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4


class _One:
    def __init__(self, family: Metric) -> None:
        self.family = family

    def collect(self) -> list[Metric]:
        return [self.family]


def _bare_counter(family: Metric) -> bool:
    return (
        family.type == "counter"
        and bool(family.samples)
        and not any(s.name.endswith(("_total", "_created")) for s in family.samples)
    )


def _encode(family: Metric) -> bytes:
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    if _bare_counter(family):
        as_gauge = Metric(family.name, family.documentation, "gauge")
        as_gauge.samples = list(family.samples)
        registry.register(_One(as_gauge))
        text = generate_latest(registry)
        return text.replace(f"# TYPE {family.name} gauge\n".encode(), f"# TYPE {family.name} counter\n".encode(), 1)
    registry.register(_One(family))
    return generate_latest(registry)


def text_format(families: Iterable[Metric]) -> tuple[bytes, str]:
    """The body and content type of a text 0.0.4 answer for ``families``."""
    return b"".join(_encode(family) for family in families), CONTENT_TYPE_PLAIN_0_0_4
