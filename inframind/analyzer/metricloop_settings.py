"""The metric loop's settings are ``analyzer.metrics`` (:class:`inframind.config.MetricAnalysisSettings`)."""

from __future__ import annotations

from inframind.config import MetricAnalysisSettings

__all__ = ["MetricAnalysisSettings"]
