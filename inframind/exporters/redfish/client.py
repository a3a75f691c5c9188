"""HTTP to one BMC for one probe: session login, memoized parallel GETs, logout. The only IO of the prober.

- Session login (POST to the SessionService, ``X-Auth-Token``) so the password crosses the wire once, and
  a DELETE of that session at the end, even after the deadline: BMCs allow a handful of sessions, and a
  monitor that leaks one per scrape locks the administrators out. Basic auth where sessions are unusable.
- Every GET is memoized for the probe (sections share systems, chassis and managers) and runs in a pool of
  ``max_parallel`` workers, the load a BMC tolerates. Only section threads wait on the pool, never its
  workers, so nested fan-out cannot deadlock.
- Links are followed case-insensitively: HPE iLO mixes ``/Systems/1`` and ``/systems/1/bios``; a link is
  respelled with the longest prefix already read, which is harmless on case-insensitive services and
  needed on case-sensitive ones. Links never leave the target: only their path is used.
- Redirects are not followed (a session token would travel with them), and the environment is not
  consulted: ``REQUESTS_CA_BUNDLE`` would silently replace ``ca_file``, ``.netrc`` would add credentials
  and ``HTTPS_PROXY`` would send BMC traffic off the management network.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from inframind.exporters.probe.base import ProbeError
from inframind.exporters.redfish.parse import ROOT, Json, is_error, link, missing_error, obj
from inframind.exporters.redfish.settings import Settings

log = logging.getLogger(__name__)
LOGOUT_TIMEOUT = 5.0


class ResourceError(Exception):
    """One resource could not be read; ``missing`` marks a 404 (a dangling link), not a failure of the BMC."""

    def __init__(self, reason: str, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.missing = missing


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every cause, context, urllib3 ``reason`` and argument exception behind it."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        todo.extend(x for x in nested if isinstance(x, BaseException))


def classify(exc: requests.RequestException) -> tuple[str, str]:
    """A requests failure as a probe error reason and a message that says what to do."""
    if isinstance(exc, requests.exceptions.SSLError):
        verify = next((e for e in _chain(exc) if isinstance(e, ssl.SSLCertVerificationError)), None)
        if verify is not None:
            return "tls", (
                f"certificate does not verify ({verify.verify_message}): give the CA that signed it as "
                "ca_file, or set insecure_skip_verify: true"
            )
        return "tls", f"TLS handshake failed: {exc}"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout", "no answer within the request timeout"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if any(isinstance(e, ConnectionRefusedError) for e in _chain(exc)):
            return "refused", "connection refused: is this the BMC's address and Redfish port?"
        return "unreachable", f"cannot connect: {exc}"
    return "protocol", f"{type(exc).__name__}: {exc}"


def _key(path: str) -> str:
    return path.rstrip("/").lower()


class RedfishClient:
    """One probe's conversation with one BMC; use as a context manager so the session is always closed."""

    def __init__(
        self,
        base_url: str,
        settings: Settings,
        credentials: tuple[str, str] | None,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.settings = settings
        self.credentials = credentials
        self.deadline = deadline
        self.clock = clock
        self.auth_method = "none"
        self.http = requests.Session()
        self.http.trust_env = False  # no REQUESTS_CA_BUNDLE over ca_file, no .netrc credentials, no proxies
        self.http.headers.update({"Accept": "application/json", "OData-Version": "4.0"})
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=settings.max_parallel, max_retries=0)
        self.http.mount("https://", adapter)
        self.http.mount("http://", adapter)
        self.http.verify = False if settings.insecure_skip_verify else (settings.ca_file or True)
        self._pool = ThreadPoolExecutor(settings.max_parallel, thread_name_prefix="redfish")
        self._lock = threading.Lock()
        self._memo: dict[str, Future[Json]] = {}
        self._spelling: dict[str, str] = {}
        self._session_path: str | None = None

    def __enter__(self) -> RedfishClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ login and logout

    def open(self) -> Json:
        """Read the service root, log in and check the credentials; ProbeError when the BMC cannot be used."""
        try:
            root = self._fetch(f"{ROOT}/")
        except ResourceError as exc:
            if exc.reason != "auth" or self.credentials is None:
                raise ProbeError("protocol" if exc.missing else exc.reason, f"{self.base_url}: {exc.message}") from None
            self.http.auth = self.credentials  # a few BMCs guard even the root; retry it as basic
            root = self._must(f"{ROOT}/")
        if self.credentials is not None:
            self._login(root)
            self._check_credentials(link(root, "Systems") or link(root, "Chassis"))
        return root

    def _must(self, path: str) -> Json:
        try:
            return self.get(path)
        except ResourceError as exc:
            raise ProbeError(exc.reason, f"{self.base_url}: {exc.message}") from None

    def _check_credentials(self, path: str | None) -> None:
        """One guarded read now, so bad credentials fail the probe as ``auth`` (other failures are a section's)."""
        if path is None:
            return
        try:
            self.get(path)
        except ResourceError as exc:
            if exc.reason == "auth":
                user = self.credentials[0] if self.credentials else ""
                raise ProbeError("auth", f"{self.base_url} rejected user {user!r}: {exc.message}") from None

    def _login(self, root: Json) -> None:
        assert self.credentials is not None
        user, password = self.credentials
        offered = "SessionService" in root or link(obj(root, "Links"), "Sessions") is not None
        if self.settings.session_auth and offered:
            path = link(obj(root, "Links"), "Sessions") or f"{ROOT}/SessionService/Sessions"
            try:
                answer = self.http.post(
                    self.base_url + urlsplit(path).path,
                    json={"UserName": user, "Password": password},
                    timeout=self._timeout(),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                reason, message = classify(exc)
                raise ProbeError(reason, f"{self.base_url}: session login: {message}") from None
            except ResourceError as exc:
                raise ProbeError("timeout", f"{self.base_url}: {exc.message}") from None
            token = answer.headers.get("X-Auth-Token")
            if answer.status_code in (401, 403):
                raise ProbeError("auth", f"{self.base_url} rejected the session login of user {user!r}")
            if answer.ok and token:
                self.http.auth = None
                self.http.headers["X-Auth-Token"] = token
                self._session_path = self._session_location(answer)
                self.auth_method = "session"
                return
            log.debug("%s: session login gave HTTP %s without a token", self.base_url, answer.status_code)
        if self.settings.session_auth and not self.settings.basic_fallback:
            raise ProbeError("auth", f"{self.base_url} offers no usable session login and basic_fallback is off")
        self.http.auth = self.credentials
        self.auth_method = "basic"

    @staticmethod
    def _session_location(answer: requests.Response) -> str | None:
        location = urlsplit(answer.headers.get("Location", "")).path
        if location:
            return location
        try:
            body: Any = answer.json()
        except ValueError:
            return None
        found = body.get("@odata.id") if isinstance(body, dict) else None
        return found if isinstance(found, str) else None

    def close(self) -> None:
        """Wait for requests in flight, then delete the session (given a few seconds even past the deadline)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            if self.auth_method == "session":
                self._logout()
        finally:
            self.http.close()

    def _logout(self) -> None:
        if self._session_path is None:
            log.warning("%s gave no session URI; its session stays until the BMC times it out", self.base_url)
            return
        timeout = min(self.settings.request_timeout, LOGOUT_TIMEOUT)
        try:
            answer = self.http.delete(self.base_url + self._session_path, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            log.warning("%s: logout failed (%s); the BMC will time the session out", self.base_url, classify(exc)[1])
            return
        if not answer.ok:
            log.warning("%s: logout answered HTTP %s; the session may remain", self.base_url, answer.status_code)

    # ------------------------------------------------------------ reading

    def canonical(self, path: str) -> str:
        """The link as this probe requests it: no fragment, no host, respelled like paths already read."""
        parts = urlsplit(path.split("#", 1)[0])
        base, query = parts.path, f"?{parts.query}" if parts.query else ""
        segments = base.rstrip("/").split("/")
        with self._lock:
            for n in range(len(segments), 1, -1):
                spelled = self._spelling.get("/".join(segments[:n]).lower())
                if spelled is not None:
                    rest = base[len("/".join(segments[:n])) :]
                    return spelled + rest + query
        return base + query

    def submit(self, path: str) -> Future[Json]:
        """The memoized read of ``path``, started in the pool if this probe has not asked for it yet."""
        path = self.canonical(path)
        key = _key(path)
        with self._lock:
            future = self._memo.get(key)
            if future is None:
                future = self._memo[key] = self._pool.submit(self._fetch, path)
            return future

    def get(self, path: str) -> Json:
        return self.submit(path).result()

    def _timeout(self) -> float:
        left = self.deadline - self.clock()
        if left <= 0.05:
            raise ResourceError("timeout", "the probe's deadline passed before this request")
        return min(self.settings.request_timeout, left)

    def _fetch(self, path: str) -> Json:
        try:
            answer = self.http.get(self.base_url + path, timeout=self._timeout(), allow_redirects=False)
        except requests.RequestException as exc:
            reason, message = classify(exc)
            raise ResourceError(reason, f"GET {path}: {message}") from None
        code = answer.status_code
        if code == 404:
            raise ResourceError("protocol", f"GET {path}: 404 (linked but not found)", missing=True)
        if code in (401, 403):
            raise ResourceError("auth", f"GET {path}: HTTP {code}")
        if not 200 <= code < 300:
            raise ResourceError("protocol", f"GET {path}: HTTP {code}")
        try:
            body: Any = answer.json()
        except ValueError:
            raise ResourceError("protocol", f"GET {path}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise ResourceError("protocol", f"GET {path}: expected a JSON object")
        resource = cast(Json, body)
        if is_error(resource):
            raise ResourceError("protocol", f"GET {path}: Redfish error body", missing=missing_error(resource))
        self._remember(path, resource)
        return resource

    def _remember(self, path: str, body: Json) -> None:
        odata_id = body.get("@odata.id")
        spellings = [urlsplit(odata_id).path] if isinstance(odata_id, str) else []  # the service's own first
        spellings.append(path.split("?", 1)[0])
        with self._lock:
            for spelled in spellings:
                clean = spelled.rstrip("/")
                if clean:
                    self._spelling.setdefault(clean.lower(), clean)
