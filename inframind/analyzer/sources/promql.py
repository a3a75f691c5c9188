"""The metrics store over the Prometheus HTTP API: ``query``, ``query_range`` and ``series``.

Works against VictoriaMetrics (single-node or cluster) and Prometheus alike:

- long ranges are split into chunks of at most ``max_points`` steps (Prometheus refuses more than 11,000 points
  per series, VictoriaMetrics more than ``-search.maxPointsPerTimeseries``) and merged back by label set;
- connection errors, timeouts, 429 and 5xx answers are retried with exponential backoff; a query the server
  refuses (4xx: bad syntax, unknown function) raises :class:`PromQLError` at once with the server's own message
  and the query, since asking again cannot help;
- tenancy: ``path_prefix`` for a VictoriaMetrics cluster (``/select/<accountID>/prometheus``, see
  :meth:`PromSettings.for_account`), ``headers`` for proxies that take the tenant in a header (``X-Scope-OrgID``),
  ``extra_labels`` for single-node VictoriaMetrics, which then filters every selector server-side
  (``extra_label=tenant=acme``).

Requests are form-encoded POSTs: selectors listing many assets do not hit URL length limits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from inframind.analyzer.sources.series import Sample, Series, merge_chunks, parse_instant, parse_matrix, plan_chunks

log = logging.getLogger(__name__)
PROMETHEUS_MAX_POINTS = 11_000
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class PromError(Exception):
    """The metrics store gave no usable answer; ``query`` is the expression (or match list) asked."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(message)
        self.query = query


class PromQLError(PromError):
    """The server refused the query (bad syntax, unknown function, too many points ...): its message says why."""

    def __init__(self, query: str, message: str, status: int, error_type: str = "") -> None:
        kind = f" {error_type}" if error_type and error_type != str(status) else ""
        super().__init__(f"the metrics store refused {query!r} (HTTP {status}{kind}): {message}", query)
        self.server_message = message
        self.status = status
        self.error_type = error_type


class PromUnavailable(PromError):
    """No answer after every retry (unreachable, timed out, 5xx)."""


@dataclass(frozen=True)
class PromSettings:
    url: str
    """Base URL: ``http://127.0.0.1:8428`` (VictoriaMetrics), ``http://prometheus:9090``, ``http://vmselect:8481``."""
    timeout: float = 30.0
    """Seconds per HTTP request (also sent as the query's server-side ``timeout``)."""
    retries: int = 3
    """Further attempts after the first on connection errors, timeouts, 429 and 5xx."""
    backoff: float = 0.5
    """Seconds before the first retry; doubled for each next one, at most ``backoff_max``."""
    backoff_max: float = 8.0
    max_points: int = PROMETHEUS_MAX_POINTS
    """Points per series per request; longer ranges are chunked."""
    path_prefix: str = ""
    """Inserted before ``/api/v1/...``: ``/select/0/prometheus`` for tenant 0 of a VictoriaMetrics cluster."""
    headers: Mapping[str, str] = field(default_factory=dict)
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    """Label filters VictoriaMetrics applies to every selector (its ``extra_label`` argument)."""

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"metrics store URL must start with http:// or https://, got {self.url!r}")
        if self.timeout <= 0 or self.retries < 0 or self.backoff < 0 or self.max_points < 1:
            raise ValueError("timeout and max_points must be positive, retries and backoff not negative")

    @staticmethod
    def account_prefix(account_id: int | str, project_id: int | str | None = None) -> str:
        """The vmselect path of a VictoriaMetrics cluster tenant (``accountID[:projectID]``)."""
        tenant = f"{account_id}" if project_id is None else f"{account_id}:{project_id}"
        return f"/select/{tenant}/prometheus"

    @classmethod
    def for_account(cls, url: str, account_id: int | str, project_id: int | str | None = None) -> PromSettings:
        return cls(url=url, path_prefix=cls.account_prefix(account_id, project_id))


class PromClient:
    """One client per thread (it keeps a connection pool); ``sleep`` is injectable for tests."""

    def __init__(
        self,
        settings: PromSettings,
        session: requests.Session | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.settings = settings
        self.base = settings.url.rstrip("/") + ("/" + settings.path_prefix.strip("/") if settings.path_prefix else "")
        self._session = session or requests.Session()
        self._session.headers.update(dict(settings.headers))
        self._sleep = sleep

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------ API

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query at ``at`` (unix seconds; default: the server's now)."""
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = _stamp(at)
        data = self._call("/api/v1/query", params, expr)
        if data.get("resultType") == "matrix":
            raise PromQLError(expr, "a range vector cannot be read as an instant query; use query_range", 400)
        return parse_instant(str(data.get("resultType")), data.get("result"))

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        """Every series of ``expr`` over ``[start, end]`` at ``step`` seconds, chunked to ``max_points``."""
        parts = []
        for first, last in plan_chunks(start, end, step, self.settings.max_points):
            params = {"query": expr, "start": _stamp(first), "end": _stamp(last), "step": _stamp(step)}
            data = self._call("/api/v1/query_range", params, expr)
            parts.append(parse_matrix(data.get("result") or []))
        return merge_chunks(parts)

    def series(
        self, match: Sequence[str], start: float | None = None, end: float | None = None
    ) -> list[dict[str, str]]:
        """Label sets of the series matching any of ``match`` (selectors) within the range."""
        if not match:
            raise ValueError("series() needs at least one selector")
        params: dict[str, Any] = {"match[]": list(match)}
        if start is not None:
            params["start"] = _stamp(start)
        if end is not None:
            params["end"] = _stamp(end)
        data = self._call("/api/v1/series", params, " or ".join(match))
        return [dict(item) for item in data] if isinstance(data, list) else []

    # ------------------------------------------------------------ HTTP

    def _call(self, path: str, params: Mapping[str, Any], query: str) -> Any:
        s = self.settings
        form: dict[str, Any] = {**params, "timeout": f"{s.timeout:g}s"}
        if s.extra_labels:
            form["extra_label"] = [f"{k}={v}" for k, v in s.extra_labels.items()]
        url = self.base + path
        problem = ""
        for attempt in range(s.retries + 1):
            if attempt:
                delay = min(s.backoff * 2 ** (attempt - 1), s.backoff_max)
                log.debug("metrics store: %s; retry %d/%d in %.1fs", problem, attempt, s.retries, delay)
                self._sleep(delay)
            try:
                answer = self._session.post(url, data=form, timeout=(min(5.0, s.timeout), s.timeout))
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{url}: {type(exc).__name__}: {exc}"
                continue
            if answer.status_code in RETRY_STATUS:
                problem = f"{url} answered {answer.status_code}: {_message(answer)}"
                continue
            return _data(answer, query)
        raise PromUnavailable(f"no answer from the metrics store after {s.retries + 1} attempts: {problem}", query)


def _stamp(seconds: float) -> str:
    return f"{seconds:.3f}"


def _message(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text.strip()[:500]
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return answer.text.strip()[:500]


def _data(answer: requests.Response, query: str) -> Any:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code >= 400 or not isinstance(body, dict) or body.get("status") != "success":
        error_type = str(body.get("errorType", "")) if isinstance(body, dict) else ""
        raise PromQLError(query, _message(answer), answer.status_code, error_type)
    return body.get("data")
