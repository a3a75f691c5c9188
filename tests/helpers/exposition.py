"""Scrape and compare Prometheus text expositions (ours against a peer exporter's)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset[tuple[str, str]]


@dataclass
class Family:
    """One exposed family: its name as scraped (counters with ``_total``), type and series."""

    name: str
    type: str
    series: dict[Labels, float] = field(default_factory=dict)

    @property
    def label_names(self) -> frozenset[str]:
        return frozenset(k for labels in self.series for k, _ in labels)

    def value(self, **labels: str) -> float:
        return self.series[frozenset(labels.items())]

    def by(self, label: str) -> dict[str, float]:
        """Series keyed by one label's value (for families with one varying label)."""
        return {dict(labels)[label]: v for labels, v in self.series.items()}


def parse(text: str) -> dict[str, Family]:
    families: dict[str, Family] = {}
    for metric in text_string_to_metric_families(text):
        for sample in metric.samples:
            if sample.name.endswith("_created"):
                continue
            family = families.setdefault(sample.name, Family(sample.name, metric.type))
            key: Labels = frozenset(sample.labels.items())
            assert key not in family.series, f"duplicate series {sample.name}{dict(sample.labels)}"
            family.series[key] = sample.value
    return families


def scrape_text(url: str, timeout: float = 30.0) -> str:
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.text


def promtool_check_metrics(promtool: str, text: str) -> subprocess.CompletedProcess[str]:
    """``promtool check metrics`` reads the exposition on stdin; lint findings make it exit non-zero."""
    return subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
    )


def value(families: Iterable[Metric], sample_name: str, **labels: str) -> float:
    """The one sample named ``sample_name`` whose labels include ``labels``; fails unless exactly one matches."""
    found = [
        s.value
        for f in families
        for s in f.samples
        if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, f"{sample_name}{labels}: {found}"
    return found[0]
