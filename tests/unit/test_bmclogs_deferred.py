"""BMC logs whose credential is stored in the analyzer (``auth: api:<target id>``): fetched through the
exporter's authenticated lookup when the source first polls; an analyzer that is away is this source's error,
retried later, never the agent's failure to start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from inframind.agent.bmclogs import RedfishLogSource, bmc_sources
from inframind.agent.bmclogs.deferred import DeferredAuthSource
from inframind.agent.cursors import CursorStore
from inframind.agent.source import Batch, SourceStats
from inframind.exporters.probe.authclient import ApiAuthResolver, AuthApiSettings
from tests.unit.test_bmclogs_factory import config, inventory

CREDENTIAL = {"type": "redfish", "settings": {"username": "mon", "password": "pw-from-the-analyzer"}}


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


class Inner:
    def __init__(self, auth: Any) -> None:
        self.name, self.auth, self.stats, self.closed = "inner", auth, SourceStats(), False

    def poll(self, max_events: int) -> Batch | None:
        self.stats.add_read(1)
        return Batch([])

    def close(self) -> None:
        self.closed = True


def test_the_credential_is_fetched_at_first_poll_and_retried_while_the_analyzer_is_away() -> None:
    answers: list[Any] = [requests.ConnectionError("refused"), (200, CREDENTIAL)]
    calls: list[str] = []

    def fetch(url: str, headers: Any, timeout: float) -> tuple[int, Any]:
        calls.append(url)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    clock = Clock()
    resolver = ApiAuthResolver(AuthApiSettings(url="http://127.0.0.1:9"), fetch=fetch)
    built: list[Inner] = []

    def build(auth: Any) -> Inner:
        built.append(Inner(auth))
        return built[-1]

    source = DeferredAuthSource("redfish_log:bmc-9", "api:t-9", "redfish", resolver, build, retry=30, clock=clock)
    assert source.poll(10) is None and "unreachable" in (source.stats.last_error or "")
    assert source.poll(10) is None and len(calls) == 1, "no new lookup within the retry interval"
    clock.now = 31
    assert source.poll(10) is not None and len(calls) == 2
    [inner] = built
    assert inner.auth.username == "mon" and inner.auth.password.resolve() == "pw-from-the-analyzer"
    assert source.stats.read == 1, "the built source reports through the same stats"
    source.close()
    assert inner.closed


def test_an_inventory_bmc_with_a_stored_credential_needs_no_analyzer_at_start(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("INFRAMIND_AUTH_API_URL", raising=False)
    bmc = {"id": "bmc-api", "kind": "bmc", "addresses": ["10.0.100.20"], "module": "idrac", "auth": "api:t-20"}
    cursors = CursorStore(tmp_path / "cursors.db")
    sources = bmc_sources(config(tmp_path), inventory(bmc), cursors)
    try:
        [source] = sources
        assert isinstance(source, DeferredAuthSource) and source.name == "redfish_log:bmc-api"
        assert source.poll(10) is None and "INFRAMIND_AUTH_API_URL" in (source.stats.last_error or "")
        assert not isinstance(source, RedfishLogSource)
    finally:
        for s in sources:
            s.close()
        cursors.close()
