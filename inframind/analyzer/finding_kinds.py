"""Every finding kind the detectors produce, in one place.

Recommendation templates (``templates/recommend/<kind>.yml``), delivery and tests enumerate kinds from here, so a
new kind is noticed: ``tests/unit/test_recommend_kinds.py`` scans the analyzer's ``Finding(kind=...)``
constructions and fails when one produces a kind missing here (or one listed here is no longer produced), and
when a listed kind has no recommendation templates.

The hot/cold kinds are ``hotspot.<resource>`` for each resource :mod:`.detect.hotcold` knows, taken from its type.
"""

from __future__ import annotations

from typing import get_args

from inframind.analyzer.detect.hotcold import Resource as HotResource

LOG_KINDS: tuple[str, ...] = ("log.new_template", "log.burst", "log.silence", "log.repeated", "log.rule")
"""The log loop's kinds (detect/new_template.py, ratefindings.py, grouping.py, logrules.py)."""
METRIC_KINDS: tuple[str, ...] = (
    "metric.anomaly",
    "capacity.exhaustion",
    "disk.failure",
    "node.risk",
    "slo.burn",
    "hotspot.io",
)
"""The metric loop's kinds (detect/anomaly, forecast, failure, slo.py, iotuning.py; node.risk in metricloop_disks)."""
HOTSPOT_KINDS: tuple[str, ...] = tuple(f"hotspot.{resource}" for resource in get_args(HotResource))
"""Hot and cold nodes within a group, one kind per resource (detect/hotcold.py)."""
FINDING_KINDS: tuple[str, ...] = (*LOG_KINDS, *METRIC_KINDS, *HOTSPOT_KINDS)
