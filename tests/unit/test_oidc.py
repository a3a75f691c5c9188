"""OIDC JWT verification against a loopback identity provider (discovery + JWKS on 127.0.0.1).

The provider is a tiny HTTP server in the test; the tokens are real RS256/ES256 JWTs signed with keys made
here, so signature, rotation and claim checks run exactly as against a real provider.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from inframind.analyzer.oidc import OIDCVerifier, best_role
from inframind.config.security import OIDCSettings
from tests.helpers.oidc import AUDIENCE, Provider


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    p.add_rsa("k1")
    yield p
    p.close()


def _verifier(provider: Provider, **kw: Any) -> OIDCVerifier:
    return OIDCVerifier(OIDCSettings(issuer=provider.issuer, audience=AUDIENCE, **kw))


def test_a_valid_token_maps_to_its_role_and_tenant(provider: Provider) -> None:
    principal, reason = _verifier(provider).verify(provider.sign("k1"))
    assert reason == "ok" and principal is not None
    assert (principal.name, principal.role, principal.tenant) == ("oidc:ivan", "operator", "acme")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, "expired_token"),
        ({"aud": "another-app"}, "wrong_audience"),
        ({"iss": "http://127.0.0.1:1/evil"}, "wrong_issuer"),
        ({"inframind_role": "superuser"}, "no_role"),
        ({"inframind_tenant": None}, "no_tenant"),
        ({"exp": None}, "invalid_token"),
    ],
)
def test_bad_claims_are_refused_with_a_reason(provider: Provider, claims: dict[str, Any], reason: str) -> None:
    assert _verifier(provider).verify(provider.sign("k1", **claims)) == (None, reason)


def test_signatures_algorithms_and_garbage_are_refused(provider: Provider) -> None:
    verifier = _verifier(provider)
    forged = provider.sign("k1", key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert verifier.verify(forged) == (None, "bad_signature")
    assert verifier.verify("not.a.jwt") == (None, "malformed_token")
    unsigned = jwt.encode({"sub": "x"}, key="", algorithm="none", headers={"kid": "k1"})
    assert verifier.verify(unsigned) == (None, "bad_algorithm")
    hs = jwt.encode({"sub": "x"}, "shared-secret-of-32-bytes-at-least!", algorithm="HS256", headers={"kid": "k1"})
    assert verifier.verify(hs) == (None, "bad_algorithm")


def test_a_rotated_key_is_fetched_once_and_unknown_keys_do_not_hammer_the_provider(provider: Provider) -> None:
    verifier = _verifier(provider)
    assert verifier.verify(provider.sign("k1"))[1] == "ok"
    assert provider.fetches == 1
    provider.add_rsa("k2")
    verifier._fetched_at -= 60  # the last fetch was a minute ago: a new kid may refetch at once
    assert verifier.verify(provider.sign("k2"))[1] == "ok"
    assert provider.fetches == 2
    for _ in range(5):
        assert verifier.verify(provider.sign("k9", key=provider.keys["k1"]))[1] == "unknown_key"
    assert provider.fetches == 2, "unknown key ids within the refetch gap must not refetch"


def test_ec_keys_and_role_lists_with_a_map(provider: Provider) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    provider.keys["e1"] = ec_key
    verifier = _verifier(provider, role_claim="realm_access.roles", role_map={"infra-admins": "admin"})
    token = provider.sign("e1", alg="ES256", realm_access={"roles": ["viewer", "infra-admins"]})
    principal, reason = verifier.verify(token)
    assert reason == "ok" and principal is not None and principal.role == "admin"


def test_an_unreachable_provider_refuses_rather_than_accepts() -> None:
    verifier = OIDCVerifier(OIDCSettings(issuer="http://127.0.0.1:9", audience=AUDIENCE), timeout=0.5)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"sub": "x"}, key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token) == (None, "jwks_unavailable")


def test_best_role_takes_the_highest() -> None:
    assert best_role(["viewer", "operator"], {}) == "operator"
    assert best_role("ops", {"ops": "operator"}) == "operator"
    assert best_role(42, {}) is None
