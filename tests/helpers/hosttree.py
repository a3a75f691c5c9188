"""The hand-written host fixture tree (tests/fixtures/hosttree) and helpers to read collector output."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.core import Metric

from inframind.config import ExporterConfig, HostPaths

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hosttree"

Labels = frozenset[tuple[str, str]]


def fixture_paths(root: Path = FIXTURE) -> HostPaths:
    return HostPaths(
        procfs=str(root / "proc"), sysfs=str(root / "sys"), rootfs=str(root / "rootfs"), udev_data=str(root / "udev")
    )


def fixture_config(root: Path = FIXTURE) -> ExporterConfig:
    return ExporterConfig(paths=fixture_paths(root))


def copy_tree(tmp_path: Path) -> Path:
    """A writable copy of the fixture (symlinks kept) for tests that break or change a file."""
    target = tmp_path / "hosttree"
    shutil.copytree(FIXTURE, target, symlinks=True)
    return target


def samples(families: Iterable[Metric]) -> dict[str, dict[Labels, float]]:
    """``{sample name: {labels: value}}``; fails on a duplicate series, which no exposition may hold."""
    out: dict[str, dict[Labels, float]] = {}
    for family in families:
        for s in family.samples:
            series = out.setdefault(s.name, {})
            key: Labels = frozenset(s.labels.items())
            assert key not in series, f"duplicate series {s.name}{s.labels}"
            series[key] = s.value
    return out


def by_label(series: dict[Labels, float], label: str) -> dict[str, float]:
    return {dict(k)[label]: v for k, v in series.items()}


def one(series: dict[Labels, float], **labels: str) -> float:
    return series[frozenset(labels.items())]


def types(families: Iterable[Metric]) -> dict[str, str]:
    return {f.name: f.type for f in families}
