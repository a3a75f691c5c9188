"""The optional generated summary of an incident, against a loopback HTTP server started here that speaks the
OpenAI chat-completions protocol (no LLM server runs here; the server answers like one and records what it
was asked). The deterministic report renders with the summary, without it when the endpoint is down or fails,
and the summary is always marked as generated."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from inframind.analyzer.correlate import correlate
from inframind.analyzer.correlate_graph import ImpactGraph
from inframind.analyzer.explain import rca_view
from inframind.analyzer.incidents import Incident
from inframind.analyzer.narrative import Narrative, chat_url, facts, summarize
from inframind.analyzer.report import build_report, render
from inframind.analyzer.state import FindingRecord
from inframind.config import AnalyzerConfig
from inframind.config.analyzer_sections import NarrativeSettings
from inframind.secrets import SecretRef
from tests.helpers.incidents import IOWAIT_QUERY, LUN_QUERY, active, at, inventory, metric_finding
from tests.helpers.procs import free_port

SUMMARY = "The write burst on lun-12 (5.2e8 B/s against 8e7) explains the iowait rise on srv-db-03 to 29%."
KEY = "sk-test-narrative-0001"


@dataclass
class ChatServer:
    """Answers POST /v1/chat/completions with ``status`` and ``body``; keeps each request's headers and JSON."""

    status: int = 200
    body: Any = None
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                owner.requests.append((self.path, dict(self.headers), json.loads(self.rfile.read(length))))
                payload = owner.body if isinstance(owner.body, bytes) else json.dumps(owner.body).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "local-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer(body=completion(SUMMARY))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def incident() -> tuple[Incident, dict[str, FindingRecord]]:
    records = [
        active(metric_finding("srv-db-03", "iowait", IOWAIT_QUERY, 29, 8, at(0), at(360), unit="%"), at(40)),
        active(metric_finding("lun-12", "write throughput", LUN_QUERY, 5.2e8, 8e7, at(-10), at(360)), at(30)),
    ]
    [found] = correlate([], records, ImpactGraph(inventory()), at(400))
    return found, {r.fingerprint: r for r in records}


def settings(url: str, **changes: Any) -> NarrativeSettings:
    return NarrativeSettings(enabled=True, url=url, model="local-model", api_key=SecretRef("env", "LLM_KEY"),
                             timeout=5, **changes)  # fmt: skip


def rendered(incident: tuple[Incident, dict[str, FindingRecord]], narrate: NarrativeSettings) -> tuple[str, str]:
    found, records = incident
    report = build_report(found, records, ImpactGraph(inventory()), None, now=at(400),
                          narrate=lambda rca: summarize(rca, narrate, env={"LLM_KEY": KEY}))  # fmt: skip
    return render(report, "md"), render(report, "html")


def test_the_summary_is_asked_with_the_facts_and_marked_as_generated(
    chat: ChatServer, incident: tuple[Incident, dict[str, FindingRecord]]
) -> None:
    text, page = rendered(incident, settings(chat.url))
    [(path, headers, body)] = chat.requests
    assert path == "/v1/chat/completions" and headers["Authorization"] == f"Bearer {KEY}"
    assert body["model"] == "local-model" and body["max_tokens"] == 400 and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and "Use only the facts given" in system["content"]
    assert user["role"] == "user" and user["content"] == facts(
        rca_view(incident[0], incident[1], ImpactGraph(inventory()))
    )
    assert "Cause candidate 1: lun-12 (lun), metric.anomaly, score 1.0" in user["content"]
    assert f"series {IOWAIT_QUERY}: observed 29%, expected 8" in user["content"]
    assert "## Summary (generated)" in text and "> **Generated text** by the model local-model" in text
    assert "> The write burst on lun-12 (5.2e8 B/s against 8e7) explains the iowait rise on srv-db-03 to 29%." in text
    assert text.index("## Summary (generated)") < text.index("## Root cause")  # and the analysis is all there
    assert "## Evidence" in text and "observed **29%**" in text
    assert '<div class="generated" data-generated="true">' in page and f"<p>{SUMMARY}</p>" in page


def test_russian_prompts_and_a_base_url(chat: ChatServer, incident: tuple[Incident, dict[str, FindingRecord]]) -> None:
    rca = rca_view(incident[0], incident[1], ImpactGraph(inventory()))
    found = summarize(rca, settings(chat.url.removesuffix("/v1") + "/v1/chat/completions", language="ru"),
                      env={"LLM_KEY": KEY})  # fmt: skip
    assert found == Narrative("local-model", SUMMARY)
    assert chat.requests[0][0] == "/v1/chat/completions"
    assert chat.requests[0][2]["messages"][0]["content"].startswith("Кратко")


def test_with_the_endpoint_down_the_report_still_renders(incident: tuple[Incident, dict[str, FindingRecord]]) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"
    text, page = rendered(incident, settings(down))
    assert (
        f"_Generated summary unavailable: no summary: {down}/chat/completions is unreachable (ConnectionError)_" in text
    )
    assert "## Root cause" in text and "## Causal chain" in text and "observed **29%**" in text
    assert 'class="note">Generated summary unavailable' in page and "data-generated" not in page


@pytest.mark.parametrize(
    ("status", "body", "why"),
    [
        (500, {"error": {"message": "model overloaded"}}, "answered HTTP 500"),
        (200, b"not json", "gave no chat completion"),
        (200, {"choices": []}, "gave no chat completion"),
        (200, completion("   "), "answered with an empty completion"),
    ],
)
def test_a_failing_endpoint_leaves_a_note(
    chat: ChatServer, incident: tuple[Incident, dict[str, FindingRecord]], status: int, body: Any, why: str
) -> None:
    chat.status, chat.body = status, body
    rca = rca_view(incident[0], incident[1], ImpactGraph(inventory()))
    found = summarize(rca, settings(chat.url), env={"LLM_KEY": KEY})
    assert found is not None and found.text is None and why in found.note and len(chat.requests) == 1


def test_a_long_answer_is_cut(chat: ChatServer, incident: tuple[Incident, dict[str, FindingRecord]]) -> None:
    chat.body = completion("x" * 5000)
    rca = rca_view(incident[0], incident[1], ImpactGraph(inventory()))
    found = summarize(rca, settings(chat.url), env={"LLM_KEY": KEY})
    assert found is not None and found.text is not None and len(found.text) == 4000 and found.text.endswith("…")


def test_off_by_default_and_a_missing_key_asks_nothing(
    chat: ChatServer, incident: tuple[Incident, dict[str, FindingRecord]]
) -> None:
    rca = rca_view(incident[0], incident[1], ImpactGraph(inventory()))
    assert AnalyzerConfig().narrative == NarrativeSettings() and not NarrativeSettings().enabled
    assert summarize(rca, NarrativeSettings(url=chat.url, model="m")) is None
    missing = summarize(rca, settings(chat.url), env={})
    assert missing is not None and missing.text is None and "LLM_KEY is not set" in missing.note
    assert KEY not in missing.note and chat.requests == []


def test_settings_checks_and_urls() -> None:
    assert [path for path, _ in NarrativeSettings(enabled=True).check()] == [("url",), ("model",)]
    assert [path for path, _ in NarrativeSettings(url="ftp://x", timeout=0, max_tokens=0).check()] == [
        ("url",),
        ("timeout",),
        ("max_tokens",),
    ]
    assert list(NarrativeSettings(enabled=True, url="http://127.0.0.1:1/v1", model="m").check()) == []
    assert chat_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1/chat/completions"
    assert chat_url("http://127.0.0.1:8000/v1/chat/completions") == "http://127.0.0.1:8000/v1/chat/completions"
