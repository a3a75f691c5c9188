"""How the log loop's settings (``analyzer.logs``, :class:`inframind.config.LogAnalysisSettings`) map onto the
detectors' own settings (kept apart: the config is shared ground and imports no detector)."""

from __future__ import annotations

from inframind.analyzer.detect.grouping import GroupingSettings
from inframind.analyzer.detect.new_template import NewTemplateSettings
from inframind.analyzer.detect.rates import RateSettings
from inframind.config import LogAnalysisSettings

__all__ = ["LogAnalysisSettings", "grouping_settings", "new_template_settings", "rate_settings"]


def new_template_settings(s: LogAnalysisSettings) -> NewTemplateSettings:
    return NewTemplateSettings(warmup=s.warmup, asset_warmup=s.asset_warmup, grace=s.grace)


def rate_settings(s: LogAnalysisSettings) -> RateSettings:
    return RateSettings()


def grouping_settings(s: LogAnalysisSettings) -> GroupingSettings:
    return GroupingSettings(window=s.repeat_window, min_count=s.repeat_count)
