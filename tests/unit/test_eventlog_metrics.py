"""inframind_eventlog_* counters: bounded labels, the allow-list, and monotonic values in the text exposition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from inframind.agent.eventlog.metrics import DEFAULT_EVENT_IDS, EventLogMetrics


def exposition(metrics: EventLogMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    registry.register(metrics)
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def key(target: str, channel: str, level: str, event_id: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"target": target, "channel": channel, "level": level, "event_id": event_id}
    return "inframind_eventlog_events_total", tuple(sorted(labels.items()))


def test_allow_listed_ids_keep_their_label_and_others_fold_into_other() -> None:
    metrics = EventLogMetrics()
    for event_id in ("4625", "4625", "7036", "50036", None):
        metrics.count_event("win01", "System", "warning", event_id)
    samples = exposition(metrics)
    assert samples[key("win01", "System", "warning", "4625")] == 2
    assert samples[key("win01", "System", "warning", "other")] == 3
    assert all(labels_of[1] for labels_of in samples)  # no unlabelled stray series


def test_counters_only_grow_across_collections() -> None:
    metrics = EventLogMetrics()
    metrics.count_event("win01", "Security", "warning", "4625")
    first = exposition(metrics)[key("win01", "Security", "warning", "4625")]
    metrics.count_event("win01", "Security", "warning", "4625")
    assert exposition(metrics)[key("win01", "Security", "warning", "4625")] == first + 1


def test_configured_allow_list_replaces_the_default() -> None:
    metrics = EventLogMetrics(["7036"])
    assert metrics.event_label("7036") == "7036" and metrics.event_label("4625") == "other"
    assert EventLogMetrics().event_label("1102") == "1102"
    assert len(DEFAULT_EVENT_IDS) == len(set(DEFAULT_EVENT_IDS)) and len(DEFAULT_EVENT_IDS) < 40


def test_gaps_are_counted_by_reason() -> None:
    metrics = EventLogMetrics()
    metrics.count_gap("win01", "Security", "cleared")
    labels = (("channel", "Security"), ("reason", "cleared"), ("target", "win01"))
    assert exposition(metrics)[("inframind_eventlog_cursor_gaps_total", labels)] == 1
