"""Scores for a failure predictor: recall at a false-alarm rate, ROC AUC, Brier, reliability bins.

Recall at a false-alarm rate is how an operator meets the model: pick the alarm threshold that flags at most
that fraction of healthy drives, and count the failed drives above it. Ties at the threshold count as not
flagged, so a score with many equal values (a rule, a model on drives with no errors) cannot buy recall with
alarms it did not pay for.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
RELIABILITY_EDGES = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
"""Probability bins, finer near 0 where nearly every drive sits (the base rate is ~0.3% per 30 days)."""


def threshold_at(scores: FloatArray, labels: NDArray[Any], far: float) -> float:
    """The smallest threshold ``t`` with ``mean(score > t)`` over negatives <= ``far``."""
    negatives = np.sort(scores[labels == 0])[::-1]
    allowed = int(np.floor(far * len(negatives)))
    if allowed >= len(negatives):
        return -np.inf
    return float(negatives[allowed])


def recall_at(scores: FloatArray, labels: NDArray[Any], far: float) -> tuple[float, float]:
    """(recall, achieved false-alarm rate) at the threshold that keeps false alarms <= ``far``."""
    t = threshold_at(scores, labels, far)
    flagged = scores > t
    return float(flagged[labels == 1].mean()), float(flagged[labels == 0].mean())


def roc_auc(scores: FloatArray, labels: NDArray[Any]) -> float:
    """Probability that a random failed drive scores above a random healthy one (ties count half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(average, counts)
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier(probabilities: FloatArray, labels: NDArray[Any]) -> float:
    return float(np.mean((probabilities - labels) ** 2))


def reliability(
    probabilities: FloatArray, labels: NDArray[Any], edges: Sequence[float] = RELIABILITY_EDGES
) -> list[dict[str, float]]:
    """Per probability bin: rows, mean predicted probability and observed failure rate (the diagram's points)."""
    bins = []
    for low, high in itertools.pairwise(edges):
        inside = (probabilities >= low) & ((probabilities < high) if high < 1.0 else (probabilities <= high))
        n = int(inside.sum())
        if n:
            bins.append(
                {
                    "low": low,
                    "high": high,
                    "n": n,
                    "failures": int(labels[inside].sum()),
                    "predicted": round(float(probabilities[inside].mean()), 6),
                    "observed": round(float(labels[inside].mean()), 6),
                }
            )
    return bins


def summary(probabilities: FloatArray, labels: NDArray[Any]) -> dict[str, float]:
    r1, far1 = recall_at(probabilities, labels, 0.01)
    r5, far5 = recall_at(probabilities, labels, 0.05)
    return {
        "drives": len(labels),
        "failures": int(labels.sum()),
        "recall_at_1pct": round(r1, 4),
        "far_at_1pct": round(far1, 5),
        "recall_at_5pct": round(r5, 4),
        "far_at_5pct": round(far5, 5),
        "auc": round(roc_auc(probabilities, labels), 4),
        "brier": round(brier(probabilities, labels), 6),
        "mean_predicted": round(float(probabilities.mean()), 6),
        "observed_rate": round(float(labels.mean()), 6),
    }
