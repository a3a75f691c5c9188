"""Who may call the API: token-file tokens (revocation live), OIDC JWTs from a loopback provider, refusals
with 401 that the audit log records with their reason, and the per-address limit on failed authentications."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from inframind.analyzer.auth import TokenAuthenticator
from inframind.analyzer.oidc import OIDCVerifier
from inframind.config.security import OIDCSettings
from inframind.tokenfile import TokenFile
from tests.helpers.apiv1 import NOW, World, api_tokens, build_world, headers
from tests.helpers.oidc import AUDIENCE, Provider


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    p = Provider()
    p.add_rsa("k1")
    yield p
    p.close()


@pytest.fixture
def world(tmp_path: Path, provider: Provider) -> tuple[World, TokenFile]:
    tokens = TokenFile(tmp_path / "tokens.yml")
    oidc = OIDCVerifier(OIDCSettings(issuer=provider.issuer, audience=AUDIENCE))
    authenticator = TokenAuthenticator(api_tokens(), lambda: NOW, token_file=tokens, oidc=oidc)
    return build_world(tmp_path, authenticator=authenticator), tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _denials(world: World) -> list[dict[str, Any]]:
    answer = world.client.get("/api/v1/audit", params={"outcome": "denied", "limit": 100}, headers=headers("admin"))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_token_file_tokens_work_until_revoked(world: tuple[World, TokenFile]) -> None:
    app, tokens = world
    token, _ = tokens.create("ci", "viewer", "acme", now=NOW, lifetime=dt.timedelta(days=1))
    assert app.client.get("/api/v1/whoami", headers=_bearer(token)).json()["name"] == "ci"
    tokens.revoke("ci", now=NOW)
    refused = app.client.get("/api/v1/whoami", headers=_bearer(token))
    assert refused.status_code == 401
    assert any(d["detail"] == "revoked_token" for d in _denials(app))
    old, _ = tokens.create("old", "viewer", "acme", now=NOW - dt.timedelta(days=2), lifetime=dt.timedelta(days=1))
    assert app.client.get("/api/v1/whoami", headers=_bearer(old)).status_code == 401
    assert any(d["detail"] == "expired_token" for d in _denials(app))


def test_oidc_tokens_map_to_role_and_tenant_and_bad_ones_are_refused_and_audited(
    world: tuple[World, TokenFile], provider: Provider
) -> None:
    app, _ = world
    good = app.client.get("/api/v1/whoami", headers=_bearer(provider.sign("k1")))
    assert good.status_code == 200 and good.json()["tenant"] == "acme" and good.json()["role"] == "operator"
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        "expired_token": provider.sign("k1", exp=int(time.time()) - 3600),
        "wrong_audience": provider.sign("k1", aud="someone-else"),
        "bad_signature": provider.sign("k1", key=forged_key),
        "malformed_token": "eyJhbGciOi.not-json.x",
    }
    for reason, token in bad.items():
        answer = app.client.get("/api/v1/assets", headers=_bearer(token))
        assert answer.status_code == 401, reason
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    details = {d["detail"] for d in _denials(app)}
    assert set(bad) <= details
    assert all(d["actor"] == "-" for d in _denials(app) if d["detail"] in bad)


def test_failed_authentications_are_rate_limited_per_address(world: tuple[World, TokenFile]) -> None:
    app, _ = world
    for _ in range(20):
        assert app.client.get("/api/v1/assets", headers=_bearer("imt_wrong")).status_code == 401
    blocked = app.client.get("/api/v1/assets", headers=headers("acme-viewer"))
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "60"
    assert app.client.get("/health").status_code == 200, "public routes stay open"


def test_first_use_of_a_token_is_audited_as_a_login_once(world: tuple[World, TokenFile]) -> None:
    app, _ = world
    for _ in range(3):
        assert app.client.get("/api/v1/assets", headers=headers("acme-viewer")).status_code == 200
    answer = app.client.get("/api/v1/audit", params={"action": "auth.login"}, headers=headers("admin")).json()
    logins = [r for r in answer["items"] if r["actor"] == "acme-viewer"]
    assert len(logins) == 1 and logins[0]["tenant"] == "acme" and logins[0]["outcome"] == "ok"
