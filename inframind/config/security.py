"""Who may call the analyzer besides the config's tokens: the token file the CLI manages, and OIDC.

Tokens in ``analyzer.tokens`` live in git-reviewed config; tokens made with ``inframind tokens create`` live in
``security.tokens_file`` (hashes only) so they can be revoked without a deploy. OIDC lets an identity provider
issue short-lived JWTs; the role and tenant come from configurable claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from inframind.config.analyzer import ROLES
from inframind.schema import Duration, PathKey


@dataclass(frozen=True)
class OIDCSettings:
    """JWT bearer tokens from an identity provider (validated offline against its JWKS)."""

    issuer: str
    """The ``iss`` every token must carry, e.g. https://sso.example.com/realms/infra."""
    audience: str
    """The ``aud`` every token must carry (this API's client id)."""
    jwks_url: str = ""
    """The key set; empty: ``<issuer>/.well-known/openid-configuration``'s ``jwks_uri``."""
    role_claim: str = "inframind_role"
    """Claim holding the role (a string or a list; the highest known role wins). Dots walk into objects."""
    tenant_claim: str = "inframind_tenant"
    role_map: dict[str, str] = field(default_factory=dict)
    """Claim values -> roles (e.g. ``{infra-admins: admin}``); values that are role names map to themselves."""
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway: Duration = 30.0
    """Clock skew tolerated on exp/nbf/iat."""
    jwks_cache: Duration = 300.0
    """How long the key set is cached; an unknown ``kid`` refetches it at once (key rotation), rate-limited."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        for name in ("issuer", "jwks_url"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://")):
                yield (name,), f"expected an http(s) URL, got {value!r}"
        if not self.audience:
            yield ("audience",), "must not be empty: a token for another client must be refused"
        for claim_value, role in self.role_map.items():
            if role not in ROLES:
                yield ("role_map", claim_value), f"expected one of {', '.join(ROLES)}, got {role!r}"
        unsafe = [a for a in self.algorithms if a.upper() == "NONE" or a.startswith("HS")]
        if unsafe or not self.algorithms:
            yield ("algorithms",), "use asymmetric algorithms only (RS*, PS*, ES*, EdDSA); none/HS* are refused"


@dataclass(frozen=True)
class SecurityConfig:
    tokens_file: str = "var/tokens.yml"
    """Tokens created by ``inframind tokens create`` (hashes, expiry, revocation); read on every change."""
    oidc: OIDCSettings | None = None
    auth_failure_limit: int = 20
    """Failed authentications per client address per minute before it is answered 429 (0: no limit)."""
