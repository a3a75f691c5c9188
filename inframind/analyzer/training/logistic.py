"""Weighted ridge logistic regression by Newton's method, with optional sign constraints. numpy only.

Why our own and not scikit-learn: a dozen columns and a deterministic answer are all the failure model
needs, and Newton steps on the full data converge in ~10 iterations to the same bits on every run. Columns
marked ``nonneg`` (error counters and their growth) may not lower the risk: a negative weight there would
be collinearity noise (SMART 197 and 198 move together on Seagates) and would make explanations absurd, so
such columns are fixed at 0 and the rest refitted until every constrained weight is >= 0 (an active set).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def _newton(
    x: FloatArray, y: FloatArray, w: FloatArray, penalty: FloatArray, offset: FloatArray, *, max_iter: int, tol: float
) -> FloatArray:
    beta = np.zeros(x.shape[1])
    objective = np.inf
    for _ in range(max_iter):
        z = offset + x @ beta
        p = sigmoid(z)
        gradient = x.T @ (w * (y - p)) - penalty * beta
        hessian = (x * (w * p * (1.0 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        scale = 1.0
        while True:  # halve the step until the penalised log-likelihood improves (it always does, eventually)
            candidate = beta + scale * step
            value = _loss(x, y, w, penalty, offset, beta=candidate)
            if value <= objective or scale < 1e-6:
                break
            scale *= 0.5
        beta = candidate
        converged = abs(objective - value) <= tol * max(1.0, abs(value))
        objective = value
        if converged:
            break
    return beta


def _loss(
    x: FloatArray, y: FloatArray, w: FloatArray, penalty: FloatArray, offset: FloatArray, *, beta: FloatArray
) -> float:
    z = offset + x @ beta
    # log(1 + e^z) - y z, computed without overflow
    nll = np.sum(w * (np.logaddexp(0.0, z) - y * z))
    return float(nll + 0.5 * np.sum(penalty * beta * beta))


def fit(
    x: FloatArray,
    y: FloatArray,
    *,
    weights: FloatArray | None = None,
    penalty: FloatArray | None = None,
    nonneg: NDArray[np.bool_] | None = None,
    offset: FloatArray | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> FloatArray:
    """Coefficients of ``P(y=1) = sigmoid(offset + x @ beta)``; put a column of ones in ``x`` for an intercept."""
    n, k = x.shape
    w = np.ones(n) if weights is None else weights
    pen = np.zeros(k) if penalty is None else penalty
    off = np.zeros(n) if offset is None else offset
    constrained = np.zeros(k, dtype=bool) if nonneg is None else nonneg
    active = np.ones(k, dtype=bool)
    while True:
        beta = np.zeros(k)
        beta[active] = _newton(x[:, active], y, w, pen[active], off, max_iter=max_iter, tol=tol)
        negative = constrained & active & (beta < 0.0)
        if not negative.any():
            return beta
        active[int(np.argmin(np.where(negative, beta, np.inf)))] = False
