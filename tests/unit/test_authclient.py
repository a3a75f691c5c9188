"""The exporter's lookup of ``auth=api:<name>``: fetched from the analyzer app (served in process by its test
client), cached for ``ttl``, the last good answer kept while the analyzer is away, unknown names remembered
briefly, refusals explained. The credential comes back as the prober's own Auth with a redacting secret."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from inframind.exporters.probe.authclient import ApiAuthResolver, AuthApiSettings, AuthLookupError
from inframind.secrets import SecretRef
from tests.helpers.apiv1 import TOKENS, World, build_world, headers

PASSWORD = "Idr4c-Pass"


class Analyzer:
    """Fetch through the real app; ``down`` makes it unreachable, ``calls`` counts requests."""

    def __init__(self, world: World) -> None:
        self.world, self.down, self.calls = world, False, 0

    def __call__(self, url: str, hdrs: Mapping[str, str], timeout: float) -> tuple[int, Any]:
        self.calls += 1
        if self.down:
            raise requests.ConnectionError("refused")
        answer = self.world.client.get(url.removeprefix("http://analyzer"), headers=dict(hdrs))
        return answer.status_code, answer.json()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[World, str]:
    world = build_world(tmp_path)
    body = {"address": "10.0.2.7", "kind": "redfish", "credential": {"username": "monitor", "password": PASSWORD}}
    created = world.client.post("/api/v1/targets", headers=headers("acme-operator"), json=body)
    return world, created.json()["auth"]


def resolver(analyzer: Analyzer, now: list[float], token: str = "acme-operator") -> ApiAuthResolver:
    settings = AuthApiSettings(url="http://analyzer", token=SecretRef("env", "T"), ttl=60, stale_ttl=600,
                               negative_ttl=5)  # fmt: skip
    resolve = ApiAuthResolver(settings, analyzer, clock=lambda: now[0])
    return resolve


def test_resolves_caches_and_redacts(setup: tuple[World, str], monkeypatch: pytest.MonkeyPatch) -> None:
    world, reference = setup
    monkeypatch.setenv("T", TOKENS["acme-operator"][0])
    analyzer, now = Analyzer(world), [0.0]
    resolve = resolver(analyzer, now)
    auth = resolve.resolve(reference)
    assert auth.name == reference and auth.type == "redfish"
    assert auth.settings.username == "monitor" and auth.settings.password.resolve() == PASSWORD
    assert PASSWORD not in repr(auth)
    now[0] = 30
    resolve.resolve(reference)
    assert analyzer.calls == 1
    now[0] = 61
    resolve.resolve(reference)
    assert analyzer.calls == 2


def test_stale_answer_while_the_analyzer_is_away(setup: tuple[World, str], monkeypatch: pytest.MonkeyPatch) -> None:
    world, reference = setup
    monkeypatch.setenv("T", TOKENS["acme-operator"][0])
    analyzer, now = Analyzer(world), [0.0]
    resolve = resolver(analyzer, now)
    resolve.resolve(reference)
    analyzer.down, now[0] = True, 300
    assert resolve.resolve(reference).settings.password.resolve() == PASSWORD
    now[0] = 700
    with pytest.raises(AuthLookupError, match="unreachable: ConnectionError") as raised:
        resolve.resolve(reference)
    assert not raised.value.unknown


def test_unknown_names_and_refused_tokens(setup: tuple[World, str], monkeypatch: pytest.MonkeyPatch) -> None:
    world, reference = setup
    analyzer, now = Analyzer(world), [0.0]
    monkeypatch.setenv("T", TOKENS["globex-operator"][0])
    resolve = resolver(analyzer, now)
    with pytest.raises(AuthLookupError, match="knows no such credential") as raised:
        resolve.resolve(reference)
    assert raised.value.unknown
    with pytest.raises(AuthLookupError):
        resolve.resolve(reference)
    assert analyzer.calls == 1, "an unknown name is remembered for negative_ttl"
    monkeypatch.setenv("T", TOKENS["acme-viewer"][0])
    with pytest.raises(AuthLookupError, match=r"refused the exporter's token \(403\)"):
        resolver(analyzer, now).resolve(reference)
    assert ApiAuthResolver.handles(reference) and not ApiAuthResolver.handles("idrac")
    with pytest.raises(AuthLookupError, match="no analyzer to ask"):
        ApiAuthResolver(AuthApiSettings()).resolve(reference)


def test_settings_from_env() -> None:
    settings = AuthApiSettings.from_env({"INFRAMIND_AUTH_API_URL": "http://127.0.0.1:8050",
                                         "INFRAMIND_AUTH_API_TOKEN": "x"})  # fmt: skip
    assert settings.url == "http://127.0.0.1:8050" and settings.token == SecretRef("env", "INFRAMIND_AUTH_API_TOKEN")
    assert AuthApiSettings.from_env({}).url is None
