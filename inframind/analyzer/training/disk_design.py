"""Which terms the disk model learns, and the same transforms as the detector, vectorised over a Table.

The detector computes one drive at a time in plain Python (:mod:`inframind.analyzer.detect.failure.model`);
training and the benchmark need millions of rows at once. Both must agree to the last bit that matters, so
``tests/unit/test_failure_training.py`` checks :func:`scores` against the detector's ``predict`` row by row.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from inframind.analyzer.detect.failure.features import DiskFeatures
from inframind.analyzer.detect.failure.model import Calibration, DiskModel, Term
from inframind.analyzer.training.smart_data import GROWTH_COUNTS, Table

FloatArray = NDArray[np.float64]
LEVEL_COUNTERS = (
    "reallocated",
    "pending",
    "offline_uncorrectable",
    "reported_uncorrectable",
    "command_timeouts",
    "crc_errors",
)
AGE_ATTRIBUTES = ("power_on_hours",)
"""Learned from the 2013-2016 horizon rows only: a 2019 last-day snapshot shows failed drives younger than
survivors because they left earlier in the year, which says nothing about age. Only infant mortality is
kept: a term for years past the first was tried and lowered out-of-model AUC on the horizon rows (0.722 vs
0.739), since age there mostly tells drive models apart, which a model never seen cannot use."""


def learned_terms() -> tuple[Term, ...]:
    """The terms fitted on the Backblaze data, with zero weights. Counts enter as log1p plus "any at all"."""
    terms: list[Term] = []
    for counter in LEVEL_COUNTERS:
        terms.append(Term(f"{counter}.log", counter, "log1p", 0.0))
        terms.append(Term(f"{counter}.any", counter, "nonzero", 0.0))
    terms += [Term(f"{counter}.growth", counter, "log1p", 0.0, growth=True) for counter in GROWTH_COUNTS]
    terms += [
        Term("age.infant", "power_on_hours", "hinge_below", 0.0, knot=1000.0, scale=1000.0,
             note="infant mortality: 1 at power-on, 0 from 1,000 hours"),
        Term("temperature.hot", "temperature_celsius", "hinge_above", 0.0, knot=40.0, scale=5.0,
             note="per 5 degrees C above 40"),
    ]  # fmt: skip
    return tuple(terms)


def constrained(term: Term) -> bool:
    """Error counters and their growth may only raise the risk."""
    return term.attribute in LEVEL_COUNTERS


def column(table: Table, term: Term, *, training: bool = False) -> FloatArray:
    """The term's transformed input for every row; 0 where the attribute is missing (NaN), as in the detector.

    With ``training``, age is 0 on snapshot rows (see :data:`AGE_ATTRIBUTES`); a deployed model sees real ages.
    """
    key = f"growth.{term.attribute}" if term.growth else term.attribute
    raw = table.columns.get(key)
    if raw is None:
        return np.zeros(len(table))
    clean = np.nan_to_num(raw, nan=0.0)
    if term.transform == "log1p":
        out = np.log1p(np.maximum(0.0, clean))
    elif term.transform == "log1p_above":
        out = np.maximum(0.0, np.log1p(np.maximum(0.0, clean)) - np.log1p(term.knot))
    elif term.transform == "nonzero":
        out = (clean > 0).astype(np.float64)
    elif term.transform == "hinge_above":
        out = np.maximum(0.0, (clean - term.knot) / term.scale)
    elif term.transform == "hinge_below":
        out = np.maximum(0.0, (term.knot - clean) / term.scale)
    elif term.transform == "flag":
        out = (clean != 0).astype(np.float64)
    else:
        raise ValueError(f"unknown transform {term.transform!r}")
    result: FloatArray = np.where(np.isnan(raw), 0.0, out)
    if training and table.source == "snapshot" and term.attribute in AGE_ATTRIBUTES:
        result = np.zeros(len(table))
    return result


def design(table: Table, terms: tuple[Term, ...]) -> FloatArray:
    if not terms:
        return np.zeros((len(table), 0))
    return np.column_stack([column(table, t, training=True) for t in terms])


def scores(model: DiskModel, table: Table) -> FloatArray:
    """Calibrated log-odds of every row, as :func:`~inframind.analyzer.detect.failure.predict.predict` gives."""
    total = np.full(len(table), model.intercept)
    for term in model.terms:
        total = total + term.coef * column(table, term)
    return calibrate(model.calibration, total)


def calibrate(calibration: Calibration, raw: FloatArray) -> FloatArray:
    out: FloatArray = calibration.offset + calibration.slope * raw
    for knot, extra in zip(calibration.knots, calibration.slopes, strict=True):
        out = out + extra * np.maximum(0.0, raw - knot)
    return out


def probabilities(model: DiskModel, table: Table) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * scores(model, table)))
    return out


def row_features(table: Table, index: int) -> DiskFeatures:
    """One row as the detector's DiskFeatures (for checks and for explaining benchmark rows)."""

    def get(name: str) -> float | None:
        value = float(table.columns[name][index])
        return None if math.isnan(value) else value

    counts = {c: v for c in LEVEL_COUNTERS if (v := get(c)) is not None}
    growth = {c: v for c in LEVEL_COUNTERS if (v := get(f"growth.{c}")) is not None}
    return DiskFeatures(
        counts=counts,
        growth=growth,
        window_hours=240.0 if growth else 0.0,
        power_on_hours=get("power_on_hours"),
        temperature_celsius=get("temperature_celsius"),
    )
