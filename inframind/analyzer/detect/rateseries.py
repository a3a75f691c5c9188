"""One template's event counts on one asset: hourly history, the open hour, and the seasonal baseline.

History is kept per hour (the last ``history_days`` days, zeros implicit) and per calendar day (the last four
weeks). The expected count of an hour ``H`` (UTC) is:

- **seasonal** once the series has seen ``seasonal_days`` (2) days: the winsorized mean of the same hour on the
  previous days (up to 7; the largest value replaced by the second largest, so one past burst does not raise
  it while clumpy logs keep their true level), shrunk with one pseudo-day of the series' typical hourly level
  (the median 24-hour total / 24), times a day-of-week factor once two weeks are known (the median total of
  this weekday over the median of all days, so weekends can be quiet);
- **recent level** while the history is shorter: the winsorized mean of the hours observed so far.

The dispersion ``phi`` is the larger of two estimates, each shrunk towards a bursty prior (0.5, worth 12
hours) while data is short:
the spread of each hour-of-day slot across days, and the spread of all hours (where any time-of-day pattern
counts as noise). Taking the larger is conservative, and so is widening it for the uncertainty of the mean
itself (:func:`.ratestats.predictive`): both keep clumpy logs from looking like bursts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.detect.ratestats import dispersion, median, predictive, winsorized_mean

HOUR = 3600
MU_FLOOR = 0.05
"""Expected events per hour never drop below this: a template absent for days may still appear once."""


@dataclass(frozen=True)
class Profile:
    """How the history is read (the rate detector's settings pass these through)."""

    history_days: int = 7
    seasonal_days: int = 2
    min_history: int = 6
    phi_prior: float = 0.5
    phi_prior_weight: float = 12.0
    phi_bounds: tuple[float, float] = (0.01, 50.0)
    regular_share: float = 0.9
    regular_hours: int = 24


@dataclass(frozen=True)
class Baseline:
    mu: float
    phi: float
    seasonal: bool
    regular: bool
    """Seen in at least ``regular_share`` of the observed hours (``regular_hours`` or more observed): its silence
    means something."""


@dataclass
class Series:
    tenant: str
    source: str
    asset: str
    template_id: str
    template: str
    level: str
    start: int
    """Hour index (unix hours) of the first event."""
    hour: int
    """The open hour; ``count`` events in it so far."""
    count: int = 0
    minutes: dict[int, int] = field(default_factory=dict)
    """Events per minute of the open hour (a burst must not rest on one minute)."""
    first: float = 0.0
    """First event of the open hour."""
    last: float = 0.0
    hours: dict[int, int] = field(default_factory=dict)
    days: dict[int, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    provider: str | None = None
    event_id: str | None = None
    state: str = ""
    """``burst`` or ``silence`` while a finding is active."""
    since: float = 0.0
    key: str = ""
    cache: tuple[int, Baseline | None] | None = field(default=None, compare=False, repr=False)

    # ------------------------------------------------------------ counting

    def add(self, at: float, n: int, history_hours: int) -> bool:
        """Count ``n`` events at ``at``; True when closed history changed (a late event)."""
        hour = int(at // HOUR)
        if hour > self.hour:
            self.roll(hour, history_hours)
        self.last = max(self.last, at)
        if hour < self.hour:
            if hour < self.hour - history_hours or hour < self.start:
                return False
            self.hours[hour] = self.hours.get(hour, 0) + n
            self.days[hour // 24] = self.days.get(hour // 24, 0) + n
            self.cache = None
            return True
        if self.count == 0 or at < self.first:
            self.first = at
        self.count += n
        minute = int(at % HOUR // 60)
        self.minutes[minute] = self.minutes.get(minute, 0) + n
        return False

    def roll(self, hour: int, history_hours: int) -> bool:
        """Close the open hour and open ``hour``; True when closed history changed."""
        if hour <= self.hour:
            return False
        changed = self.count > 0
        if changed:
            self.hours[self.hour] = self.hours.get(self.hour, 0) + self.count
            self.days[self.hour // 24] = self.days.get(self.hour // 24, 0) + self.count
        self.hour, self.count, self.minutes, self.first = hour, 0, {}, 0.0
        self.samples.clear()
        cut = hour - history_hours
        old = [h for h in self.hours if h < cut]
        for h in old:
            del self.hours[h]
        for d in [d for d in self.days if d < hour // 24 - 28]:
            del self.days[d]
        self.cache = None
        return changed or bool(old)

    def absorb(self, other: Series, history_hours: int) -> None:
        """Take in the counts of ``other`` (a template the miner merged into this one)."""
        hour = max(self.hour, other.hour)
        self.roll(hour, history_hours)
        other.roll(hour, history_hours)
        for h, n in other.hours.items():
            self.hours[h] = self.hours.get(h, 0) + n
        for d, n in other.days.items():
            self.days[d] = self.days.get(d, 0) + n
        if other.count:
            self.first = min(self.first, other.first) if self.count else other.first
        self.count += other.count
        for minute, n in other.minutes.items():
            self.minutes[minute] = self.minutes.get(minute, 0) + n
        self.start, self.last = min(self.start, other.start), max(self.last, other.last)
        if not self.state and other.state:
            self.state, self.since, self.key = other.state, other.since, other.key
        self.cache = None

    @property
    def beyond_busiest_minute(self) -> int:
        """The open hour's count without its busiest minute."""
        return self.count - max(self.minutes.values(), default=0)

    # ------------------------------------------------------------ baseline

    def baseline(self, hour: int, profile: Profile) -> Baseline | None:
        """Expected count and dispersion for ``hour`` from the closed hours before it; None while too short."""
        if self.cache is not None and self.cache[0] == hour:
            return self.cache[1]
        found = self._baseline(hour, profile)
        self.cache = (hour, found)
        return found

    def _baseline(self, hour: int, p: Profile) -> Baseline | None:
        first = max(self.start, hour - 24 * p.history_days)
        window = [self.hours.get(h, 0) for h in range(first, hour)]
        if len(window) < p.min_history:
            return None
        regular = len(window) >= p.regular_hours and sum(1 for v in window if v) >= p.regular_share * len(window)
        days = min(p.history_days, (hour - self.start) // 24)
        overall = dispersion([window], p.phi_prior, p.phi_prior_weight, p.phi_bounds)
        if days < p.seasonal_days:
            mu = max(winsorized_mean(window), MU_FLOOR)
            return Baseline(mu, predictive(overall, mu, len(window)), False, regular)
        same = [self.hours.get(hour - 24 * k, 0) for k in range(1, days + 1)]
        totals = [sum(self.hours.get(h, 0) for h in range(end - 24, end)) for end in range(hour, hour - 24 * days, -24)]
        level = median(totals) / 24.0
        mu = max((days * winsorized_mean(same) + level) / (days + 1) * self._weekday_factor(hour), MU_FLOOR)
        slots = [[self.hours.get(h, 0) for h in range(hour - 24 * days + s, hour, 24)] for s in range(24)]
        phi = max(dispersion(slots, p.phi_prior, p.phi_prior_weight, p.phi_bounds), overall)
        return Baseline(mu, predictive(phi, mu, days), True, regular)

    def _weekday_factor(self, hour: int) -> float:
        """This weekday's typical total over the typical day, once two full weeks are known; else 1."""
        today = hour // 24
        start_day = self.start // 24 + 1  # the first full day
        full = [today - i for i in range(1, 29) if today - i >= start_day]
        if len(full) < 14:
            return 1.0
        overall = median([self.days.get(d, 0) for d in full])
        same = median([self.days.get(d, 0) for d in full if (today - d) % 7 == 0])
        return min(max(same / overall, 0.1), 10.0) if overall > 0 else 1.0

    def expected_between(self, start: float, end: float, profile: Profile) -> float:
        """Expected events in [start, end) from each hour's baseline, pro rata; an hour owes no more than what its
        baseline exceeds the events it already had (a cron hour that logged its 50 lines at :00 is not "silent"
        for the rest of the hour)."""
        total, at = 0.0, start
        while at < end:
            hour = int(at // HOUR)
            stop = min(end, (hour + 1) * HOUR)
            base = self._baseline(hour, profile) if hour != self.hour else self.baseline(hour, profile)
            if base is not None:
                had = self.count if hour == self.hour else self.hours.get(hour, 0)
                total += min(base.mu * (stop - at) / HOUR, max(0.0, base.mu - had))
            at = stop
        return total

    # ------------------------------------------------------------ JSON

    def history(self) -> list[Any]:
        return [self.source, self.template_id, self.template, self.level, self.provider, self.event_id, self.start,
                sorted(self.hours.items()), sorted(self.days.items())]  # fmt: skip

    def current(self) -> list[Any]:
        minutes = sorted(self.minutes.items())
        return [self.tenant, self.asset, self.source, self.template_id, self.hour, self.count, minutes, self.first,
                self.last, self.samples, self.state, self.since, self.key]  # fmt: skip

    @classmethod
    def from_json(cls, tenant: str, asset: str, hist: list[Any], cur: list[Any] | None) -> Series:
        source, tid, template, level, provider, event_id, start, hours, days = hist
        series = cls(tenant, asset=asset, source=source, template_id=tid, template=template, level=level,
                     provider=provider, event_id=event_id, start=int(start), hour=int(start),
                     hours={int(h): int(n) for h, n in hours}, days={int(d): int(n) for d, n in days})  # fmt: skip
        if cur is not None:
            series.hour, series.count = int(cur[4]), int(cur[5])
            series.minutes = {int(m): int(n) for m, n in cur[6]}
            series.first, series.last, series.samples = float(cur[7]), float(cur[8]), list(cur[9])
            series.state, series.since, series.key = str(cur[10]), float(cur[11]), str(cur[12])
        return series
