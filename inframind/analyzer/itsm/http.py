"""HTTP for ITSM clients: one request with retries on 429 (honouring ``Retry-After``) and 5xx, and errors that
name the system and status but never a credential.

Each call is a plain ``requests.request`` (no shared session), because webhook handlers run on several threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import AuthBase

from inframind.secrets import scrub

MAX_RETRY_AFTER = 60.0


class ItsmError(Exception):
    """The ITSM system refused or could not be reached; the message names the system, method, path and status."""


class BearerAuth(AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


@dataclass
class ItsmHttp:
    system: str
    base_url: str
    auth: AuthBase | tuple[str, str]
    timeout: float = 15.0
    retries: int = 4
    sleep: Callable[[float], None] = time.sleep

    def request(self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON answer (None for an empty body)."""
        url = self.base_url.rstrip("/") + path
        problem = ""
        for attempt in range(self.retries):
            try:
                answer = requests.request(method, url, json=body, params=params, auth=self.auth,
                                          timeout=self.timeout, headers={"Accept": "application/json"})  # fmt: skip
            except requests.RequestException as exc:
                problem = f"cannot reach {self.system} at {self.base_url}: {type(exc).__name__}"
            else:
                if answer.status_code < 300:
                    return answer.json() if answer.content else None
                problem = f"{self.system} answered {answer.status_code} to {method} {path}: {answer.text.strip()[:300]}"
                if answer.status_code != 429 and answer.status_code < 500:
                    break
                wait = _retry_after(answer.headers.get("Retry-After", ""))
                if wait is not None and attempt + 1 < self.retries:
                    self.sleep(min(wait, MAX_RETRY_AFTER))
                    continue
            if attempt + 1 < self.retries:
                self.sleep(float(2**attempt))
        raise ItsmError(scrub(problem))


def _retry_after(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
