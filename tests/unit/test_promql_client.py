"""PromQL client over recorded HTTP: retries and backoff, refusals, chunking, tenancy (the real-server behaviour
is in tests/integration/test_promql_vm.py; these pin down what a live server will not do on demand, like a 503)."""

from __future__ import annotations

import urllib.parse
from typing import Any

import numpy as np
import pytest
import requests
import responses

from inframind.analyzer.sources.promql import PromClient, PromQLError, PromSettings, PromUnavailable
from inframind.analyzer.sources.series import Series, merge_chunks, plan_chunks

URL = "http://vm.test:8428"


def matrix(*series: tuple[dict[str, str], list[tuple[float, float]]]) -> dict[str, Any]:
    result = [{"metric": m, "values": [[t, str(v)] for t, v in pts]} for m, pts in series]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def form(call: Any) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(call.request.body)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> PromClient:
    return PromClient(PromSettings(URL, retries=3, backoff=0.5, backoff_max=1.5), sleep=sleeps.append)


@responses.activate
def test_5xx_then_success_is_retried_with_doubling_backoff(client: PromClient, sleeps: list[float]) -> None:
    responses.post(URL + "/api/v1/query", status=503, json={"status": "error", "error": "too busy"})
    responses.post(URL + "/api/v1/query", status=502, body="bad gateway")
    responses.post(URL + "/api/v1/query", status=500, json={"status": "error", "error": "internal"})
    ok = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {"a": "b"}, "value": [10, "2.5"]}]},
    }
    responses.post(URL + "/api/v1/query", json=ok)
    samples = client.query("up", at=10.0)
    assert [(s.labels, s.timestamp, s.value) for s in samples] == [({"a": "b"}, 10.0, 2.5)]
    assert sleeps == [0.5, 1.0, 1.5]
    assert form(responses.calls[0])["time"] == ["10.000"]


@responses.activate
def test_exhausted_retries_name_the_last_problem(client: PromClient, sleeps: list[float]) -> None:
    responses.post(URL + "/api/v1/query", status=503, json={"status": "error", "error": "too busy"})
    with pytest.raises(PromUnavailable, match=r"after 4 attempts.*503: too busy") as caught:
        client.query("up")
    assert caught.value.query == "up"
    assert len(responses.calls) == 4


@responses.activate
def test_connection_errors_are_retried(client: PromClient, sleeps: list[float]) -> None:
    responses.post(URL + "/api/v1/query", body=requests.ConnectionError("refused"))
    responses.post(URL + "/api/v1/query", json={"status": "success", "data": {"resultType": "vector", "result": []}})
    assert client.query("up") == []
    assert sleeps == [0.5]


@responses.activate
def test_a_refused_query_raises_at_once_with_the_servers_message(client: PromClient, sleeps: list[float]) -> None:
    body = {"status": "error", "errorType": "bad_data", "error": 'parse error at char 10: unclosed "("'}
    responses.post(URL + "/api/v1/query", status=400, json=body)
    with pytest.raises(PromQLError) as caught:
        client.query("rate(up[5m]")
    error = caught.value
    assert (error.status, error.error_type, error.query) == (400, "bad_data", "rate(up[5m]")
    assert "unclosed" in error.server_message and "rate(up[5m]" in str(error)
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_long_ranges_are_chunked_on_one_grid_and_merged(sleeps: list[float]) -> None:
    client = PromClient(PromSettings(URL, max_points=3), sleep=sleeps.append)
    a, b = {"__name__": "x", "i": "a"}, {"__name__": "x", "i": "b"}
    responses.post(URL + "/api/v1/query_range", json=matrix((a, [(0, 0), (60, 1), (120, 2)])))
    responses.post(URL + "/api/v1/query_range", json=matrix((a, [(180, 3), (240, 4), (300, 5)]), (b, [(300, 9)])))
    responses.post(URL + "/api/v1/query_range", json=matrix((a, [(360, 6)])))
    found = {s.labels["i"]: s for s in client.query_range("x", 0, 360, 60)}
    ranges = [(form(c)["start"][0], form(c)["end"][0], form(c)["step"][0]) for c in responses.calls]
    assert ranges == [
        ("0.000", "120.000", "60.000"),
        ("180.000", "300.000", "60.000"),
        ("360.000", "360.000", "60.000"),
    ]
    assert found["a"].timestamps.tolist() == [0, 60, 120, 180, 240, 300, 360]
    assert found["a"].values.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert found["b"].timestamps.tolist() == [300]


@responses.activate
def test_tenant_prefix_header_and_extra_label(sleeps: list[float]) -> None:
    settings = PromSettings(
        URL, path_prefix=PromSettings.account_prefix(42, 7), headers={"X-Scope-OrgID": "acme"},
        extra_labels={"tenant": "acme"},
    )  # fmt: skip
    client = PromClient(settings, sleep=sleeps.append)
    responses.post(URL + "/select/42:7/prometheus/api/v1/series", json={"status": "success", "data": [{"a": "1"}]})
    assert client.series(['up{job="node"}'], start=0, end=60) == [{"a": "1"}]
    call = responses.calls[0]
    assert call.request.headers["X-Scope-OrgID"] == "acme"
    assert form(call)["extra_label"] == ["tenant=acme"]
    assert form(call)["match[]"] == ['up{job="node"}']
    assert PromSettings.for_account(URL, 0).path_prefix == "/select/0/prometheus"


@responses.activate
def test_a_range_vector_is_not_an_instant_answer(client: PromClient) -> None:
    responses.post(URL + "/api/v1/query", json=matrix(({"a": "b"}, [(0, 1)])))
    with pytest.raises(PromQLError, match="use query_range"):
        client.query("up[5m]")


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="http"):
        PromSettings("vm:8428")
    with pytest.raises(ValueError, match="positive"):
        PromSettings(URL, max_points=0)


def test_plan_chunks_cover_the_range_exactly_once() -> None:
    assert plan_chunks(0, 600, 60, 11_000) == [(0, 600)]
    assert plan_chunks(0, 600, 60, 4) == [(0, 180), (240, 420), (480, 600)]
    assert plan_chunks(0, 0, 60, 4) == [(0, 0)]
    assert plan_chunks(0, 59, 60, 4) == [(0, 0)]
    with pytest.raises(ValueError, match="before"):
        plan_chunks(10, 0, 60, 4)


def test_merge_keeps_each_timestamp_once_in_order() -> None:
    one = Series({"a": "1"}, np.array([120.0, 180.0]), np.array([2.0, 3.0]))
    two = Series({"a": "1"}, np.array([0.0, 60.0, 120.0]), np.array([0.0, 1.0, 2.0]))
    (merged,) = merge_chunks([[one], [two]])
    assert merged.timestamps.tolist() == [0.0, 60.0, 120.0, 180.0]
    assert merged.values.tolist() == [0.0, 1.0, 2.0, 3.0]
