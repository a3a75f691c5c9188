"""A FastAPI app with only the delivery routes behind the analyzer's real token check (the integrator mounts
the same router in the analyzer's app), for the relay, webhook and feedback-link tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from html.parser import HTMLParser

from fastapi import Depends, FastAPI
from prometheus_client import CollectorRegistry, Counter

from inframind.analyzer.auth import TokenAuthenticator, make_authorize
from inframind.analyzer.delivery_api import DeliveryDeps, delivery_router
from inframind.config.analyzer import ApiToken

OPERATOR_TOKEN = "im-test-operator-acme"
OTHER_TENANT_TOKEN = "im-test-operator-globex"


def _entry(name: str, token: str, tenant: str) -> ApiToken:
    return ApiToken(name, "sha256:" + hashlib.sha256(token.encode()).hexdigest(), "operator", tenant)


def delivery_app(deps: DeliveryDeps) -> FastAPI:
    tokens = [_entry("alertmanager", OPERATOR_TOKEN, "acme"), _entry("globex", OTHER_TENANT_TOKEN, "globex")]
    failures = Counter("auth_failures", "x", ["reason"], registry=CollectorRegistry())
    authorize = make_authorize(TokenAuthenticator(tokens, lambda: dt.datetime.now(dt.UTC)), failures)
    app = FastAPI(dependencies=[Depends(authorize)])
    app.include_router(delivery_router(deps))
    return app


def bearer(token: str = OPERATOR_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def assert_valid_telegram_html(part: str) -> None:
    """Balanced tags, no bare ``<``/``>`` in text, and every ``&`` starts a whole entity (nothing was cut)."""
    checker = _Checker()
    checker.feed(part)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack, part[-80:])
    text = re.sub(r"<[^<>]*>", "", part)
    assert "<" not in text and ">" not in text, part
    assert all(_ENTITY.match(text, m.start()) for m in re.finditer("&", text)), "a cut or bare entity"
