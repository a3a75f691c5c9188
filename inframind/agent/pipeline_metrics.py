"""The agent's log-shipping metrics, built fresh on each scrape from the sources' and the pipeline's counters.

``source`` is the source's name (``file:/var/log/*.log``, ``syslog``, ``snmp_traps``, ``sel:bmc-01`` ...):
one per configured source, so the label stays bounded. Every counter has a series for every source from
the start, so ``rate()`` sees the first increase.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from inframind.agent.pipeline import Pipeline
from inframind.agent.source import PullSource, PushSource

DROP_REASONS = ("buffer_full", "refused")


class PipelineCollector:
    name = "agent_pipeline"

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def collect(self) -> Iterator[Metric]:
        pipeline = self.pipeline
        stats = pipeline.stats.snapshot()
        sources: list[PullSource | PushSource] = [*pipeline.pull, *pipeline.push]
        snaps = {source.name: source.stats.snapshot() for source in sources}
        names = list(snaps)

        def per_source(name: str, doc: str, values: Counter[str] | dict[str, int]) -> CounterMetricFamily:
            family = CounterMetricFamily(name, doc, labels=["source"])
            for source in names:
                family.add_metric([source], values.get(source, 0))
            return family

        yield per_source(
            "inframind_agent_events_read", "Events read from each source.", {n: s.read for n, s in snaps.items()}
        )
        yield per_source("inframind_agent_events_shipped", "Events the sink accepted, by source.", stats.shipped)
        yield per_source(
            "inframind_agent_events_retried",
            "Events in sink attempts that failed and will be retried (one event counts once per attempt).",
            stats.retried,
        )
        dropped = CounterMetricFamily(
            "inframind_agent_events_dropped",
            "Events lost by the agent: buffer_full (the disk buffer was full, oldest dropped first), refused "
            "(a batch the sink will never take, e.g. HTTP 400).",
            labels=["reason"],
        )
        buffer_full = sum(pipeline.buffer.dropped.values())
        dropped.add_metric(["buffer_full"], buffer_full)
        dropped.add_metric(["refused"], sum(stats.dropped.values()))
        yield dropped
        rejected = CounterMetricFamily(
            "inframind_agent_events_rejected",
            "Input that did not become a stored event, by source and reason (malformed, empty, ... from the "
            "source; sink_invalid, sink_too_large from the sink).",
            labels=["source", "reason"],
        )
        for source, snap in snaps.items():
            for reason, value in sorted(snap.rejected.items()):
                rejected.add_metric([source, reason], value)
        for (source, reason), value in sorted(stats.rejected.items()):
            rejected.add_metric([source, reason], value)
        yield rejected
        flagged = CounterMetricFamily(
            "inframind_agent_events_flagged",
            "Events kept but altered, by source and reason (truncated, invalid_utf8_replaced, clock_skew ...).",
            labels=["source", "reason"],
        )
        for source, snap in snaps.items():
            for reason, value in sorted(snap.flagged.items()):
                flagged.add_metric([source, reason], value)
        yield flagged
        errors = {n: s.errors + stats.errors.get(n, 0) for n, s in snaps.items()}
        yield per_source("inframind_agent_source_errors", "Failed reads and cursor saves, by source.", errors)
        lag = GaugeMetricFamily(
            "inframind_agent_source_lag_seconds",
            "How long the oldest input of a source not yet in the sink has waited (unread, or in the buffer).",
            labels=["source"],
        )
        for source, seconds in pipeline.lag_seconds().items():
            lag.add_metric([source], seconds)
        yield lag
        yield from self._buffer_and_sink(stats.sink_up, stats.last_success, stats.buffer_errors)

    def _buffer_and_sink(self, sink_up: bool | None, last_success: float, buffer_errors: int) -> Iterator[Metric]:
        buffer = self.pipeline.buffer
        size, events = buffer.usage()
        yield GaugeMetricFamily("inframind_agent_buffer_bytes", "Bytes of events in the disk buffer.", value=size)
        yield GaugeMetricFamily("inframind_agent_buffer_events", "Events in the disk buffer.", value=events)
        yield GaugeMetricFamily(
            "inframind_agent_buffer_max_bytes",
            "The disk buffer's bound (agent.buffer.max_bytes).",
            value=buffer.max_bytes,
        )
        yield CounterMetricFamily(
            "inframind_agent_buffer_write_errors", "Failed writes to the disk buffer (disk full?).", value=buffer_errors
        )
        yield GaugeMetricFamily(
            "inframind_agent_sink_up",
            "1 when the last attempt to ship succeeded (or none was made yet), 0 while the sink is down.",
            value=0.0 if sink_up is False else 1.0,
        )
        yield GaugeMetricFamily(
            "inframind_agent_sink_last_success_timestamp_seconds",
            "When the sink last accepted a batch (Unix time), 0 if never.",
            value=last_success,
        )
