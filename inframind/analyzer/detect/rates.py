"""Rate anomalies per template per asset: bursts and sudden silences against a seasonal baseline.

Pure (no clock): the service feeds :class:`TemplateHit` s and calls :meth:`RateDetector.evaluate` with the time.
Counts are kept per UTC hour (see :mod:`.rateseries` for the baseline and its fallback on short history).

**Burst.** The count of the open hour so far is tested against the *whole* hour's expected count with a negative
binomial whose dispersion comes from the series' own history (:mod:`.ratestats`). Using the whole hour makes the
test conservative within the hour and indifferent to *where* in the hour events land, so a cron job that logs 50
lines at 06:00 every day is expected at 06:00 once two days have shown it. It fires when all hold:

- ``P(X >= count) < alpha`` (default 1e-5),
- ``count >= min_count`` (10) and ``count >= min_ratio`` (2) times the expected count,
- persistence: the count *without its busiest minute* passes the same test, so the excess lasts beyond one
  minute and one instant's dump (a stack trace, a buffer flush) is not a burst,
- the series has ``min_history`` (6) observed hours.

It clears when the test no longer holds (normally when the next hour starts quiet).

**Silence.** Only for *regular* templates: seen in at least 90% of the observed hours of the last week, with at
least 24 hours observed. It fires when the template has been absent for ``silence_min`` (30 min) or more, the
chance of no event over that gap (expected count from the seasonal profile, same dispersion) is below
``silence_alpha`` (1e-4), and the asset still logs other templates (a wholly silent asset is the host-down
detectors' case, not one finding per template). It clears when the template appears again.

**Score** is ``-log10(p) / 12`` capped at 1 (1e-12 or less scores 1). **Severity**: a burst takes the template's
classification (:mod:`.classify`) with the asset's criticality; a silence is ``warning`` (``info`` for an error
template: errors stopping is good news).

**False positives** (tests/unit/test_detect_rates.py, 30 seeds x 14 days per shape): none on steady Poisson
logs from 1 to 500 events/hour; on clumpy logs (clusters of lines at random times) at most 1e-4 of series-hours
for moderate clumping and 4e-4 to 1.9e-3 for extreme clumping (a single cluster of 20-40 lines every 1-2 hours).

**State** is plain JSON in parts so the service writes only what changed: ``cur`` (the open hours, small,
changes every cycle) and ``hist:<tenant>:<asset>`` (hourly history, changes when an hour closes). For scale:
10 000 series cost about 0.2 s per cycle (1 s when the hour rolls over) and write about 1 MB per cycle
(8 MB once an hour).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.detect.ratefindings import burst_finding, silence_finding
from inframind.analyzer.detect.rateseries import HOUR, Baseline, Profile, Series
from inframind.analyzer.detect.ratestats import log_tail, log_zero
from inframind.analyzer.findings import Finding

SeriesKey = tuple[str, str, str, str]
"""(tenant, source, asset, template_id)."""


@dataclass(frozen=True)
class RateSettings:
    profile: Profile = Profile()
    alpha: float = 1e-5
    min_count: int = 10
    min_ratio: float = 2.0
    silence_alpha: float = 1e-4
    silence_min: float = 1800.0
    max_series_per_asset: int = 500
    samples: int = 3


class RateDetector:
    def __init__(self, settings: RateSettings | None = None) -> None:
        self.settings = settings or RateSettings()
        self.series: dict[SeriesKey, Series] = {}
        self.by_template: dict[tuple[str, str, str], set[str]] = {}
        self.by_asset: dict[tuple[str, str], set[SeriesKey]] = {}
        self.asset_last: dict[tuple[str, str], float] = {}
        self._dirty: set[tuple[str, str]] = set()

    @property
    def _history_hours(self) -> int:
        return 24 * self.settings.profile.history_days

    # ------------------------------------------------------------ feeding

    def observe(self, hit: TemplateHit, n: int = 1) -> None:
        if hit.changed_from:
            self.rename(hit.tenant, hit.source, hit.changed_from, hit.template_id)
        key = (hit.tenant, hit.source, hit.asset, hit.template_id)
        series = self.series.get(key)
        if series is None:
            series = self._create(key, hit)
        series.template, series.level = hit.template, hit.level
        if series.add(hit.at, n, self._history_hours):
            self._dirty.add((hit.tenant, hit.asset))
        if len(series.samples) < self.settings.samples:
            series.samples.append(hit.message[:500])
        stamp = self.asset_last.get((hit.tenant, hit.asset), 0.0)
        self.asset_last[(hit.tenant, hit.asset)] = max(stamp, hit.at)

    def _create(self, key: SeriesKey, hit: TemplateHit) -> Series:
        tenant, source, asset, tid = key
        mine = self.by_asset.get((tenant, asset), set())
        if len(mine) >= self.settings.max_series_per_asset:
            self._drop(min(mine, key=lambda k: self.series[k].last))
        hour = int(hit.at // HOUR)
        series = Series(tenant, source, asset, tid, hit.template, hit.level, start=hour, hour=hour,
                        provider=hit.provider, event_id=hit.event_id)  # fmt: skip
        self._put(key, series)
        return series

    def _put(self, key: SeriesKey, series: Series) -> None:
        self.series[key] = series
        self.by_template.setdefault((key[0], key[1], key[3]), set()).add(key[2])
        self.by_asset.setdefault((key[0], key[2]), set()).add(key)
        self._dirty.add((key[0], key[2]))

    def _drop(self, key: SeriesKey) -> Series:
        series = self.series.pop(key)
        assets = self.by_template[(key[0], key[1], key[3])]
        assets.discard(key[2])
        if not assets:
            del self.by_template[(key[0], key[1], key[3])]
        keys = self.by_asset[(key[0], key[2])]
        keys.discard(key)
        if not keys:
            del self.by_asset[(key[0], key[2])]
        self._dirty.add((key[0], key[2]))
        return series

    def rename(self, tenant: str, source: str, old_ids: Iterable[str], new_id: str) -> None:
        """The miner replaced ``old_ids`` by ``new_id``: their counts become the new template's."""
        for old in old_ids:
            for asset in list(self.by_template.get((tenant, source, old), ())):
                gone = self._drop((tenant, source, asset, old))
                target = self.series.get((tenant, source, asset, new_id))
                if target is None:
                    gone.template_id = new_id
                    self._put((tenant, source, asset, new_id), gone)
                else:
                    target.absorb(gone, self._history_hours)

    # ------------------------------------------------------------ evaluating

    def evaluate(self, now: float, criticality: Mapping[str, str] | None = None) -> list[Finding]:
        """Findings whose condition holds at ``now`` (bursts and silences); the service resolves the rest."""
        hour = int(now // HOUR)
        levels = {} if criticality is None else criticality
        found = []
        for key, series in list(self.series.items()):
            if series.roll(hour, self._history_hours):
                self._dirty.add((key[0], key[2]))
            if series.state == "" and series.last < now - HOUR * self._history_hours:
                self._drop(key)
                continue
            finding = self._check(series, now, levels.get(series.asset, "medium"))
            if finding is not None:
                found.append(finding)
        return found

    def _check(self, series: Series, now: float, criticality: str) -> Finding | None:
        s = self.settings
        base = series.baseline(series.hour, s.profile)
        if series.state == "silence" and series.last > series.since:
            series.state = ""  # it spoke again
        if base is None:
            series.state = "" if series.state == "burst" else series.state
            return None
        if series.state in ("", "burst"):
            log_p = self._burst_test(series, base)
            if log_p is not None:
                if series.state != "burst":
                    series.state, series.since, series.key = "burst", now, f"{series.source}:{series.template_id}"
                return burst_finding(series, base, log_p, now, criticality=criticality, alpha=s.alpha)
            series.state = ""
        alive = self.asset_last.get((series.tenant, series.asset), 0.0) >= now - s.silence_min
        if series.state == "" and base.regular and now - series.last >= s.silence_min and alive:
            expected = series.expected_between(series.last, now, s.profile)
            if log_zero(expected, base.phi) < math.log(s.silence_alpha):
                series.state, series.since = "silence", series.last  # silent since its last event
                series.key = f"{series.source}:{series.template_id}"
        if series.state == "silence":
            expected = series.expected_between(series.last, now, s.profile)
            return silence_finding(series, base, expected, now)
        return None

    def _burst_test(self, series: Series, base: Baseline) -> float | None:
        """ln p of the open hour's count, or None when it is no burst (see the module notes)."""
        s = self.settings
        floor, log_alpha = max(s.min_count, s.min_ratio * base.mu), math.log(s.alpha)
        log_p = 0.0
        for count in (series.beyond_busiest_minute, series.count):  # the lasting part first: the stricter test
            if count < floor:
                return None
            log_p = log_tail(count, base.mu, base.phi)
            if log_p >= log_alpha:
                return None
        return log_p

    # ------------------------------------------------------------ state

    def dirty_parts(self) -> dict[str, Any]:
        """Parts changed since :meth:`mark_clean` (None: delete the part); always ``cur``."""
        parts: dict[str, Any] = {"cur": self._current()}
        for tenant, asset in self._dirty:
            parts[f"hist:{tenant}:{asset}"] = self._history(tenant, asset)
        return parts

    def mark_clean(self) -> None:
        self._dirty.clear()

    def _current(self) -> dict[str, Any]:
        return {"series": [s.current() for s in self.series.values()],
                "assets": [[t, a, last] for (t, a), last in self.asset_last.items()]}  # fmt: skip

    def _history(self, tenant: str, asset: str) -> list[Any] | None:
        mine = [self.series[k].history() for k in sorted(self.by_asset.get((tenant, asset), ()))]
        return mine or None

    def parts(self) -> dict[str, Any]:
        return {"cur": self._current(), **{f"hist:{t}:{a}": self._history(t, a) for t, a in self.by_asset}}

    def restore_parts(self, parts: Mapping[str, Any]) -> None:
        cur = parts.get("cur") or {"series": [], "assets": []}
        current = {(c[0], c[1], c[2], c[3]): c for c in cur["series"]}
        self.series.clear()
        self.by_template.clear()
        self.by_asset.clear()
        for name, hist in parts.items():
            if not name.startswith("hist:") or not hist:
                continue
            _, tenant, asset = name.split(":", 2)
            for item in hist:
                series = Series.from_json(tenant, asset, item, current.get((tenant, asset, item[0], item[1])))
                self._put((tenant, series.source, asset, series.template_id), series)
        self.asset_last = {(t, a): float(last) for t, a, last in cur["assets"]}
        self._dirty.clear()

    def to_dict(self) -> dict[str, Any]:
        return {"parts": self.parts()}

    def restore(self, data: Mapping[str, Any]) -> None:
        self.restore_parts(data["parts"])
