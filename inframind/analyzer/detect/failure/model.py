"""The disk failure model as plain data: a logistic regression over named, transformed attributes.

``model.json`` (beside this module, written by :mod:`inframind.analyzer.training.disk`) holds an intercept and
a list of terms; each term reads one attribute of :class:`DiskFeatures` (its level or its growth), transforms it
and multiplies by a coefficient. Every transform is 0 for a healthy drive (no errors, normal age, cool, unworn),
so a term's product *is* its contribution to the log-odds against a healthy drive of the same fleet: the
explanation falls out of the model instead of being estimated beside it.

Transforms: ``log1p`` (counts: the 1st reallocated sector matters more than the 1001st), ``nonzero`` (any at all),
``hinge_above`` ``max(0, (v - knot) / scale)`` and ``hinge_below`` ``max(0, (knot - v) / scale)`` (age, heat,
wear), ``flag`` (a yes/no verdict). A term's ``source`` says where its weight came from: ``learned`` from the
Backblaze data, ``transferred`` from a learned term of the same meaning, or ``prior`` (no labelled data here; the
note says why the value was chosen).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inframind.analyzer.detect.failure.features import DiskFeatures

FORMAT = "inframind.disk_failure.logistic/1"
TRANSFORMS = ("log1p", "log1p_above", "nonzero", "hinge_above", "hinge_below", "flag")
Source = Literal["learned", "transferred", "prior"]


@dataclass(frozen=True)
class Term:
    name: str
    attribute: str
    """An attribute of DiskFeatures (``reallocated``, ``power_on_hours``, ``wear`` ...)."""
    transform: str
    coef: float
    growth: bool = False
    """Read the counter's growth over the window instead of its level."""
    knot: float = 0.0
    scale: float = 1.0
    source: Source = "learned"
    note: str = ""

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ValueError(f"term {self.name!r}: unknown transform {self.transform!r}; expected one of {TRANSFORMS}")
        if self.scale <= 0:
            raise ValueError(f"term {self.name!r}: scale must be > 0")

    def raw(self, features: DiskFeatures) -> float | None:
        if self.growth:
            return features.growth.get(self.attribute)
        return features.value(self.attribute)

    def value(self, features: DiskFeatures) -> float:
        """The transformed input; 0 when the drive does not report the attribute (no evidence either way)."""
        raw = self.raw(features)
        return 0.0 if raw is None else transform(self.transform, raw, self.knot, self.scale)


def transform(kind: str, raw: float, knot: float = 0.0, scale: float = 1.0) -> float:
    if math.isnan(raw):
        return 0.0
    if kind == "log1p":
        return math.log1p(max(0.0, raw))
    if kind == "log1p_above":
        return max(0.0, math.log1p(max(0.0, raw)) - math.log1p(knot))
    if kind == "nonzero":
        return 1.0 if raw > 0 else 0.0
    if kind == "hinge_above":
        return max(0.0, (raw - knot) / scale)
    if kind == "hinge_below":
        return max(0.0, (knot - raw) / scale)
    if kind == "flag":
        return 1.0 if raw else 0.0
    raise ValueError(f"unknown transform {kind!r}")


@dataclass(frozen=True)
class Calibration:
    """A monotone piecewise-linear map of the model's log-odds ``s`` to calibrated log-odds:
    ``offset + slope * s + sum(slopes[j] * max(0, s - knots[j]))``.

    Linear (Platt scaling) when there are no knots. The knots let it bend where an additive model is wrong in
    a consistent way: several correlated error counters firing together add up to more certainty than the
    data shows.
    """

    offset: float = 0.0
    slope: float = 1.0
    knots: tuple[float, ...] = ()
    slopes: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.knots) != len(self.slopes):
            raise ValueError("calibration: knots and slopes must have the same length")
        if list(self.knots) != sorted(self.knots):
            raise ValueError("calibration: knots must be increasing")
        running = self.slope
        for extra in (0.0, *self.slopes):
            running += extra
            if running <= 0:
                raise ValueError("calibration: the map must increase on every segment")

    def apply(self, score: float) -> float:
        out = self.offset + self.slope * score
        for knot, extra in zip(self.knots, self.slopes, strict=True):
            out += extra * max(0.0, score - knot)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"offset": self.offset, "slope": self.slope, "knots": list(self.knots), "slopes": list(self.slopes)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            offset=float(data.get("offset", 0.0)),
            slope=float(data.get("slope", 1.0)),
            knots=tuple(float(k) for k in data.get("knots", ())),
            slopes=tuple(float(v) for v in data.get("slopes", ())),
        )


@dataclass(frozen=True)
class DiskModel:
    intercept: float
    terms: tuple[Term, ...]
    horizon_hours: float
    """The label horizon in power-on hours: P(failure within this many hours of operation)."""
    calibration: Calibration = Calibration()
    training: Mapping[str, Any] = field(default_factory=dict)
    """How it was made: data, seed, choices, held-out figures. Informational only."""

    def __post_init__(self) -> None:
        names = [t.name for t in self.terms]
        if len(set(names)) != len(names):
            raise ValueError("disk model: term names must be unique")
        if self.horizon_hours <= 0:
            raise ValueError("disk model: horizon_hours must be > 0")

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.attribute for t in self.terms))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiskModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"disk model: format is {data.get('format')!r}, expected {FORMAT!r}")
        try:
            terms = tuple(
                Term(
                    name=str(t["name"]), attribute=str(t["attribute"]), transform=str(t["transform"]),
                    coef=float(t["coef"]), growth=bool(t.get("growth", False)), knot=float(t.get("knot", 0.0)),
                    scale=float(t.get("scale", 1.0)), source=t.get("source", "learned"), note=str(t.get("note", "")),
                )
                for t in data["terms"]
            )  # fmt: skip
            calibration = Calibration.from_dict(data.get("calibration") or {})
            return cls(
                intercept=float(data["intercept"]),
                terms=terms,
                horizon_hours=float(data["horizon_hours"]),
                calibration=calibration,
                training=dict(data.get("training") or {}),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"disk model: missing or malformed field {error}") from error

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "horizon_hours": self.horizon_hours,
            "intercept": self.intercept,
            "calibration": self.calibration.to_dict(),
            "terms": [_term_dict(t) for t in self.terms],
            "training": dict(self.training),
        }


def _term_dict(term: Term) -> dict[str, Any]:
    out: dict[str, Any] = {"name": term.name, "attribute": term.attribute, "transform": term.transform}
    if term.growth:
        out["growth"] = True
    if term.transform in ("hinge_above", "hinge_below", "log1p_above"):
        out["knot"], out["scale"] = term.knot, term.scale
    out["coef"], out["source"] = term.coef, term.source
    if term.note:
        out["note"] = term.note
    return out


def linear_score(model: DiskModel, features: DiskFeatures) -> tuple[float, float, tuple[float, ...]]:
    """(calibrated log-odds of the drive, of a healthy drive, each term's share of the difference).

    The shares are the terms' products scaled by one factor (the calibration map's secant between the healthy
    and this drive's score), so they add up exactly to the calibrated difference and keep their order.
    """
    parts = [t.coef * t.value(features) for t in model.terms]
    raw = model.intercept + sum(parts)
    calibrated, base = model.calibration.apply(raw), model.calibration.apply(model.intercept)
    delta = raw - model.intercept
    factor = (
        (calibrated - base) / delta if abs(delta) > 1e-12 else model.calibration.apply(model.intercept + 1.0) - base
    )
    return calibrated, base, tuple(factor * p for p in parts)
