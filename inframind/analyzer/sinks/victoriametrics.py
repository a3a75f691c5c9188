"""Samples into VictoriaMetrics through its JSON-lines import API (``/api/v1/import``).

Metrics are pulled everywhere else in InfraMind; this is the one push path, for agents written against
the earlier InfraMind API that send values inside events. A retried import sends the same series,
timestamps and values; VictoriaMetrics stores them once when run with ``-dedup.minScrapeInterval=1ms``
(without it, 1.79 keeps both raw points, which only ``*_over_time`` counts notice).

``base_url`` is VictoriaMetrics single-node (``http://127.0.0.1:8428``) or, for a cluster, the vminsert
prefix of a tenant (``http://vminsert:8480/insert/0/prometheus``); ``/api/v1/import`` is appended.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import requests

IMPORT_PATH = "/api/v1/import"
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_]")


class MetricsImportError(Exception):
    """VictoriaMetrics did not take the samples (unreachable, timed out or refused); the message says which."""


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float
    timestamp_ms: int


def sanitize_metric_name(name: str) -> str:
    """Every character outside ``[a-zA-Z0-9_]`` becomes ``_`` (``disk.used-%`` -> ``disk_used__``)."""
    return _INVALID_NAME_CHARS.sub("_", name)


def import_lines(samples: Iterable[Sample]) -> bytes:
    """The JSON-lines body: one line per series with its values and millisecond timestamps in time order."""
    series: dict[tuple[tuple[str, str], ...], list[tuple[int, float]]] = {}
    for sample in samples:
        if not math.isfinite(sample.value):
            raise ValueError(f"{sample.name}: value {sample.value!r} is not a finite number")
        key = (("__name__", sample.name), *sorted(sample.labels.items()))
        series.setdefault(key, []).append((sample.timestamp_ms, sample.value))
    lines = []
    for key, points in series.items():
        points.sort()
        line = {"metric": dict(key), "values": [v for _, v in points], "timestamps": [t for t, _ in points]}
        lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


class VictoriaMetricsImporter:
    """Posts samples to one VictoriaMetrics; raises :class:`MetricsImportError` when they were not taken."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.url = base_url.rstrip("/") + IMPORT_PATH
        self.timeout = timeout

    def import_samples(self, samples: Sequence[Sample]) -> None:
        body = import_lines(samples)
        if not body:
            return
        try:
            # A plain call per batch (no shared Session): handlers run on several threads at once.
            answer = requests.post(
                self.url, data=body, timeout=self.timeout, headers={"Content-Type": "application/x-ndjson"}
            )
        except requests.RequestException as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise MetricsImportError(f"cannot reach VictoriaMetrics at {self.url}: {reason}") from None
        if answer.status_code >= 300:
            text = answer.text.strip()[:300]
            raise MetricsImportError(f"VictoriaMetrics at {self.url} answered {answer.status_code}: {text}")
