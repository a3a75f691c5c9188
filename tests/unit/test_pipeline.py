"""The pipeline with real threads and a real disk buffer, fed by list sources into an in-memory sink.

What is checked is the delivery contract: a cursor moves only once its events are durable (in the sink or
the buffer), nothing is lost while the sink is down, the buffer drains in order when it is back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from inframind.agent.buffer import DiskBuffer
from inframind.agent.pipeline import Pipeline
from inframind.agent.pipeline_metrics import PipelineCollector
from inframind.agent.sinks import BatchRefused, SinkResult
from inframind.events import LogEvent
from tests.helpers.agent import ListSource, MemorySink, PushList, numbered
from tests.helpers.exposition import parse
from tests.helpers.procs import wait_until


def make(tmp_path: Path, sink: MemorySink, **options: float) -> Pipeline:
    settings = {"batch_max_events": 100, "batch_max_wait": 0.05, "backoff_initial": 0.02, "backoff_max": 0.1}
    settings.update(options)
    return Pipeline(sink, DiskBuffer(tmp_path / "buffer.db", 1 << 24), idle_sleep=0.01, **settings)  # type: ignore[arg-type]


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def running(tmp_path: Path, sink: MemorySink) -> Iterator[Pipeline]:
    pipeline = make(tmp_path, sink)
    yield pipeline
    pipeline.stop(grace=1.0)


def messages(events: Sequence[LogEvent]) -> list[str]:
    return [e.message for e in events]


def test_fast_path_delivers_in_order_and_commits_after(running: Pipeline, sink: MemorySink) -> None:
    source = ListSource("file:a", numbered(0, 450))
    running.pull.append(source)
    running.start()
    assert wait_until(lambda: source.committed == 450, 5, 0.01)
    assert messages(sink.events) == [f"event {n}" for n in range(450)]
    assert running.buffer.usage() == (0, 0)
    assert sink.attempts == 5  # batches of at most 100
    assert running.stats.snapshot().shipped == {"file:a": 450}


def test_while_the_sink_is_down_events_wait_in_the_buffer_and_cursors_still_move(
    running: Pipeline, sink: MemorySink
) -> None:
    sink.down = True
    source = ListSource("file:a", numbered(0, 300))
    running.pull.append(source)
    running.start()
    assert wait_until(lambda: source.committed == 300, 5, 0.01)  # durable in the buffer: committed
    assert running.buffer.usage()[1] == 300
    assert wait_until(lambda: running.stats.snapshot().retried["file:a"] >= 600, 5, 0.01)  # retried with backoff
    assert running.lag_seconds()["file:a"] > 0
    assert running.stats.sink_up is False
    source.events.extend(numbered(300, 50))  # read while down: queued behind the buffer
    sink.down = False
    assert wait_until(lambda: len(sink.events) == 350, 5, 0.01)
    assert messages(sink.events) == [f"event {n}" for n in range(350)]
    assert wait_until(running.buffer.empty, 5, 0.01)
    assert running.lag_seconds() == {"file:a": 0.0}
    assert running.stats.sink_up is True


def test_a_batch_the_sink_refuses_is_dropped_and_does_not_block(tmp_path: Path) -> None:
    class Picky(MemorySink):
        def write(self, events: Sequence[LogEvent]) -> SinkResult:
            if any(e.message == "event 3" for e in events):
                raise BatchRefused("HTTP 400: bad event")
            return super().write(events)

    sink = Picky()
    pipeline = make(tmp_path, sink, batch_max_events=5)
    source = ListSource("file:a", numbered(0, 15))
    pipeline.pull.append(source)
    pipeline.start()
    try:
        assert wait_until(lambda: source.committed == 15, 5, 0.01)
        assert messages(sink.events) == [f"event {n}" for n in range(5, 15)]
        assert pipeline.stats.snapshot().dropped == {"file:a": 5}
    finally:
        pipeline.stop(1.0)


def test_partial_rejections_are_counted_per_source(tmp_path: Path) -> None:
    class Rejecting(MemorySink):
        def write(self, events: Sequence[LogEvent]) -> SinkResult:
            super().write(events)  # batch: 50 from a, 40 from b, 10 from a (fair shares of 100)
            return SinkResult(len(events) - 2, rejected=[(0, "invalid"), (55, "invalid")])

    sink = Rejecting()
    pipeline = make(tmp_path, sink, batch_max_wait=5.0)
    pipeline.pull.extend([ListSource("a", numbered(0, 60)), ListSource("b", numbered(60, 40))])
    pipeline.start()
    try:
        assert wait_until(lambda: len(sink.events) == 100, 5, 0.01)
        stats = pipeline.stats.snapshot()
        assert stats.rejected == {("a", "sink_invalid"): 1, ("b", "sink_invalid"): 1}
        assert stats.shipped == {"a": 59, "b": 39}
    finally:
        pipeline.stop(1.0)


def test_pull_sources_share_each_batch_fairly(running: Pipeline, sink: MemorySink) -> None:
    busy, quiet = ListSource("busy", numbered(0, 1000)), ListSource("quiet", numbered(1000, 10))
    running.pull.extend([busy, quiet])
    running.start()
    assert wait_until(lambda: quiet.committed == 10, 5, 0.01)
    first_batch = [int(m.split()[1]) for m in messages(sink.events[:100])]
    assert sum(n >= 1000 for n in first_batch) == 10  # the quiet source's 10 made the first batch


def test_push_events_are_durable_when_emit_returns(running: Pipeline, sink: MemorySink) -> None:
    sink.down = True
    push = PushList("syslog")
    running.push.append(push)
    running.start()
    assert push.emit is not None
    push.emit(numbered(0, 3, "syslog"))
    assert running.buffer.usage()[1] == 3  # on disk before emit returned, whatever the sink does
    sink.down = False
    assert wait_until(lambda: len(sink.events) == 3, 5, 0.01)
    assert running.stats.snapshot().shipped == {"syslog": 3}


def test_nothing_is_committed_that_is_not_durable(tmp_path: Path, sink: MemorySink) -> None:
    sink.down = True
    pipeline = make(tmp_path, sink)
    pipeline.buffer.close()  # the disk refuses too: every append fails
    source = ListSource("file:a", numbered(0, 50))
    pipeline.pull.append(source)
    pipeline.start()
    assert wait_until(lambda: pipeline.stats.snapshot().buffer_errors >= 2, 5, 0.01)
    assert source.position == 50 and source.committed == 0
    pipeline.stop(grace=0.2)
    assert source.committed == 0 and sink.events == []


def test_stop_makes_what_was_read_durable_and_a_restart_ships_the_rest(tmp_path: Path, sink: MemorySink) -> None:
    sink.down = True
    pipeline = make(tmp_path, sink, batch_max_wait=60.0)  # only stop() will flush the pending batch
    source = ListSource("file:a", numbered(0, 30))
    pipeline.pull.append(source)
    pipeline.start()
    assert wait_until(lambda: source.position == 30, 5, 0.01)
    pipeline.stop(grace=0.2)
    assert source.committed == 30  # made durable in the buffer during the stop
    sink.down = False
    again = make(tmp_path, sink)
    again.start()
    try:
        assert wait_until(lambda: len(sink.events) == 30, 5, 0.01)
        assert again.buffer.empty()
    finally:
        again.stop(1.0)


def test_metrics_have_every_family_and_a_series_per_source(running: Pipeline, sink: MemorySink) -> None:
    source = ListSource("file:/var/log/*.log", numbered(0, 10))
    source.stats.reject("empty", 2)
    source.stats.flag("truncated", 1)
    running.pull.append(source)
    running.push.append(PushList("snmp_traps"))
    running.start()
    assert wait_until(lambda: source.committed == 10, 5, 0.01)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(running))
    families = parse(generate_latest(registry).decode())
    read = families["inframind_agent_events_read_total"]
    assert read.by("source") == {"file:/var/log/*.log": 10, "snmp_traps": 0}
    assert families["inframind_agent_events_shipped_total"].value(source="file:/var/log/*.log") == 10
    assert families["inframind_agent_events_dropped_total"].by("reason") == {"buffer_full": 0, "refused": 0}
    assert families["inframind_agent_events_rejected_total"].value(source="file:/var/log/*.log", reason="empty") == 2
    assert families["inframind_agent_events_flagged_total"].value(source="file:/var/log/*.log", reason="truncated") == 1
    assert families["inframind_agent_source_lag_seconds"].by("source") == {"file:/var/log/*.log": 0, "snmp_traps": 0}
    assert families["inframind_agent_sink_up"].value() == 1
    assert families["inframind_agent_sink_last_success_timestamp_seconds"].value() > 0
    assert families["inframind_agent_buffer_events"].value() == 0
