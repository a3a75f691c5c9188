"""Sinks: the log store (opened lazily, reopened after failures) and the HTTP ingest API on a loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inframind.agent.sinks import BatchRefused, HttpSink, LogStoreSink, SinkDown, build_sink
from inframind.config import Config, LogStoreConfig, SQLiteStoreSettings
from inframind.config.agent import AgentConfig, SinkSettings
from inframind.events import LogEvent
from inframind.logstore import LogStore, LogStoreError, WriteResult
from inframind.secrets import SecretRef
from tests.helpers.agent import IngestAPI, numbered
from tests.helpers.procs import free_port


@pytest.fixture
def api() -> Iterator[IngestAPI]:
    server = IngestAPI()
    yield server
    server.close()


def http_sink(url: str, env: dict[str, str] | None = None) -> HttpSink:
    settings = SinkSettings(type="http", url=url + "/", token=SecretRef("env", "AGENT_TOKEN"), timeout=5.0)
    return HttpSink(settings, env if env is not None else {"AGENT_TOKEN": "t0ken-3f9a"})


def test_logstore_sink_opens_on_first_write_and_stores(tmp_path: Path) -> None:
    config = Config(logstore=LogStoreConfig(sqlite=SQLiteStoreSettings(path=str(tmp_path / "logs.db"))))
    sink = build_sink(config)
    assert not (tmp_path / "logs.db").exists()
    first = sink.write(numbered(0, 3))
    again = sink.write(numbered(1, 3))
    assert (first.written, first.duplicates, again.written, again.duplicates) == (3, 0, 1, 2)
    sink.close()


class FlakyStore:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.closed = 0
        self.written: list[LogEvent] = []

    def write(self, events: list[LogEvent]) -> WriteResult:
        if self.failures:
            self.failures -= 1
            raise LogStoreError("database is locked")
        self.written.extend(events)
        return WriteResult(len(events), 0)

    def close(self) -> None:
        self.closed += 1


def test_logstore_errors_mean_down_and_the_store_is_reopened() -> None:
    stores: list[FlakyStore] = []

    def opener() -> LogStore:
        stores.append(FlakyStore(1 if not stores else 0))
        return stores[-1]  # type: ignore[return-value]

    sink = LogStoreSink(opener, "flaky")
    with pytest.raises(SinkDown, match="database is locked"):
        sink.write(numbered(0, 2))
    assert sink.write(numbered(0, 2)).written == 2
    assert [s.closed for s in stores] == [1, 0] and len(stores[1].written) == 2


def test_http_sink_posts_the_events_with_the_token_and_counts_rejections(api: IngestAPI) -> None:
    api.answers.append((200, {"written": 1, "duplicates": 1, "rejected": [{"index": 2, "reason": "bad level"}]}))
    result = http_sink(api.url).write(numbered(0, 3))
    assert (result.written, result.duplicates, result.rejected) == (1, 1, [(2, "invalid")])
    request = api.requests[0]
    assert request.path == "/api/v1/logs"
    assert request.headers["Authorization"] == "Bearer t0ken-3f9a"
    assert [LogEvent.from_dict(e) for e in request.body["events"]] == numbered(0, 3)


def test_the_token_is_resolved_at_each_use(api: IngestAPI) -> None:
    env = {"AGENT_TOKEN": "tok-first-91ab"}
    sink = http_sink(api.url, env)
    sink.write(numbered(0, 1))
    env["AGENT_TOKEN"] = "tok-rotated-5d2f"
    sink.write(numbered(1, 1))
    assert [r.headers["Authorization"] for r in api.requests] == ["Bearer tok-first-91ab", "Bearer tok-rotated-5d2f"]


@pytest.mark.parametrize("status", [401, 403, 408, 429, 500, 503])
def test_retryable_answers_mean_the_sink_is_down(api: IngestAPI, status: int) -> None:
    api.answers.append((status, {"detail": "nope"}))
    with pytest.raises(SinkDown, match=f"HTTP {status}"):
        http_sink(api.url).write(numbered(0, 2))


def test_a_refused_token_says_what_to_check(api: IngestAPI) -> None:
    api.answers.append((401, {"detail": "invalid token"}))
    with pytest.raises(SinkDown, match=r"refused the token.*agent\.sink\.token"):
        http_sink(api.url).write(numbered(0, 1))


@pytest.mark.parametrize("status", [400, 404, 422])
def test_other_client_errors_refuse_the_batch_for_good(api: IngestAPI, status: int) -> None:
    api.answers.append((status, "bad batch"))
    with pytest.raises(BatchRefused, match=rf"\(HTTP {status}\): bad batch"):
        http_sink(api.url).write(numbered(0, 2))


def test_a_batch_too_large_is_split_and_a_single_event_too_large_is_rejected(api: IngestAPI) -> None:
    accepted: list[str] = []

    def limit(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        events = body["events"]
        if len(events) > 2 or any(e["message"] == "event 4" for e in events):
            return 413, {"detail": "too large"}
        accepted.extend(e["message"] for e in events)
        return 200, {"written": len(events), "duplicates": 0, "rejected": []}

    api.answers.extend([limit] * 20)
    result = http_sink(api.url).write(numbered(0, 6))
    assert (result.written, result.rejected) == (5, [(4, "too_large")])
    assert accepted == [f"event {n}" for n in (0, 1, 2, 3, 5)]  # in order, event 4 alone refused


def test_an_unreachable_api_is_down() -> None:
    with pytest.raises(SinkDown, match="cannot reach"):
        http_sink(f"http://127.0.0.1:{free_port()}").write(numbered(0, 1))


def test_build_sink_makes_an_http_sink(tmp_path: Path) -> None:
    sink_settings = SinkSettings(type="http", url="http://127.0.0.1:1", token=SecretRef("env", "T"))
    sink = build_sink(Config(agent=AgentConfig(state_dir=str(tmp_path), sink=sink_settings)))
    assert sink.description == "http http://127.0.0.1:1/api/v1/logs"
