"""Load generated history into VictoriaMetrics (``/api/v1/import``, JSON lines), for tests, benchmarks and demos.

:func:`import_history` takes any ``(labels, unix seconds, values)`` series: those of
:func:`inframind.analyzer.history_fleet.fleet_series`, or :meth:`inframind.analyzer.history.History.metrics`.
It posts them in bodies of about ``batch_bytes`` and asks VictoriaMetrics to flush, so a query right after it
returns sees everything. VictoriaMetrics drops samples older than its ``-retentionPeriod``: a server that keeps a
day cannot hold a 30-day history.

Run it by hand (``python -m inframind.analyzer.history_import --url http://127.0.0.1:8428 --assets 20``) to
fill a store with a fleet that has an iowait spike, a filesystem filling in 10 days and a hot node in rack R00.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import requests

from inframind.analyzer.history_fleet import (
    AssetProfile,
    Episode,
    FilesystemSpec,
    default_fleet,
    fleet_series,
)

IMPORT_PATH = "/api/v1/import"
SeriesLike = tuple[Mapping[str, str], npt.ArrayLike, npt.ArrayLike]
"""(labels with ``__name__``, unix seconds, values): :data:`SeriesData`, or any arrays of numbers."""


class HistoryImportError(Exception):
    """VictoriaMetrics did not take the history (unreachable or refused); the message says which."""


@dataclass(frozen=True)
class ImportReport:
    series: int
    samples: int
    seconds: float


def series_lines(series: Iterable[SeriesLike]) -> Iterator[tuple[bytes, int]]:
    """One JSON line per series (finite points only, milliseconds) and its sample count."""
    for labels, stamps, values in series:
        t = np.asarray(stamps, dtype=np.float64)
        v = np.asarray(values, dtype=np.float64)
        keep = np.isfinite(t) & np.isfinite(v)
        if not keep.any():
            continue
        line = {
            "metric": dict(labels),
            "values": v[keep].tolist(),
            "timestamps": np.round(t[keep] * 1000.0).astype(np.int64).tolist(),
        }
        yield json.dumps(line, separators=(",", ":")).encode("utf-8") + b"\n", int(keep.sum())


def import_history(
    vm_url: str,
    histories: Iterable[SeriesLike],
    *,
    batch_bytes: int = 8 * 2**20,
    timeout: float = 120.0,
    session: requests.Session | None = None,
) -> ImportReport:
    """Post every series to ``vm_url`` (single-node base URL, or a vminsert tenant prefix) and flush."""
    url = vm_url.rstrip("/")
    http = session or requests.Session()
    started = time.monotonic()
    body: list[bytes] = []
    size = count = samples = 0

    def post() -> None:
        try:
            answer = http.post(url + IMPORT_PATH, data=b"".join(body), timeout=timeout)
        except requests.RequestException as exc:
            raise HistoryImportError(f"cannot reach VictoriaMetrics at {url}: {exc}") from None
        if answer.status_code >= 300:
            raise HistoryImportError(
                f"VictoriaMetrics at {url} refused the import: {answer.status_code} {answer.text.strip()[:300]}"
            )

    for line, points in series_lines(histories):
        body.append(line)
        size += len(line)
        count += 1
        samples += points
        if size >= batch_bytes:
            post()
            body, size = [], 0
    if body:
        post()
    try:
        http.get(url + "/internal/force_flush", timeout=timeout)
    except requests.RequestException as exc:
        raise HistoryImportError(f"cannot flush VictoriaMetrics at {url}: {exc}") from None
    finally:
        if session is None:
            http.close()
    return ImportReport(count, samples, time.monotonic() - started)


def demo_fleet(count: int, end: float, *, tenant: str = "default", seed: int = 0) -> list[AssetProfile]:
    """A fleet with something to find: an iowait spike on the second asset during the last 40 minutes, a
    filesystem on the third filling in about 10 days, and the first asset running hot (90% CPU, day and night) in
    its rack."""
    fleet = default_fleet(count, tenant=tenant, seed=seed)
    if count > 0:
        fleet[0] = replace(fleet[0], cpu_busy=0.9, episodes=(Episode("cpu", -math.inf, math.inf, 0.9),))
    if count > 1:
        spike = Episode("iowait", end - 40 * 60.0, math.inf, 0.35)
        fleet[1] = replace(fleet[1], episodes=(spike,))
    if count > 2:
        filling = FilesystemSpec("/data", "linear", 10.0, device="/dev/sdb1")
        fleet[2] = replace(fleet[2], filesystems=(fleet[2].filesystems[0], filling))
    return fleet


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8428", help="VictoriaMetrics base URL")
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--tenant", default="default")
    parser.add_argument("--fast-hours", type=float, default=8.0, help="history of the per-minute signals")
    parser.add_argument("--slow-days", type=float, default=30.0, help="history of filesystems and SMART")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--end", type=float, default=None, help="unix time the history ends (default: now)")
    args = parser.parse_args(argv)
    end = args.end if args.end is not None else time.time()
    fleet = demo_fleet(args.assets, end, tenant=args.tenant, seed=args.seed)
    series = fleet_series(fleet, end=end, fast_hours=args.fast_hours, slow_days=args.slow_days, seed=args.seed)
    try:
        report = import_history(args.url, series)
    except HistoryImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"imported {report.series} series, {report.samples} samples in {report.seconds:.1f}s into {args.url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
