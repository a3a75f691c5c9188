"""Tenant isolation for direct metric readers: one vmauth user per tenant (Grafana, people, the analyzer).

A label filter inside the analyzer is not isolation, because Grafana and people query VictoriaMetrics
directly; vmauth in front of it is. Passwords are ``env:VAR`` references only: vmauth reads them from its own
environment through ``%{VAR}`` placeholders, so no password is ever written into the generated file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from inframind.schema import PathKey

ALL_TENANTS = "*"
"""The tenant of a reader that sees every tenant (the analyzer, which scopes by tenant itself)."""

_ENV_REF = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
_TENANT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class VmauthReader:
    """A read-only vmauth user bound to one tenant (or to all, for the analyzer)."""

    tenant: str
    username: str
    password: str
    """``env:VAR``: vmauth substitutes ``%{VAR}`` from its environment at start."""
    account_id: int | None = None
    """The tenant's accountID in VictoriaMetrics cluster mode (vmselect's ``/select/<accountID>/prometheus``)."""
    grafana_org_id: int | None = None
    """The Grafana organization of this tenant: its metrics datasource reads through this user."""

    @property
    def password_env(self) -> str:
        match = _ENV_REF.match(self.password)
        return match.group(1) if match else ""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.tenant != ALL_TENANTS and not _TENANT.match(self.tenant):
            yield ("tenant",), f"expected 1-64 of [A-Za-z0-9_.-] or {ALL_TENANTS!r} (all tenants), got {self.tenant!r}"
        if not self.username or ":" in self.username:
            yield ("username",), "expected a non-empty user name without ':'"
        if not self.password_env:
            yield (
                ("password",),
                "expected env:VARIABLE; vmauth reads passwords only from its environment (%{VARIABLE}), "
                "so the generated file never holds one",
            )
        if self.account_id is not None and self.account_id < 0:
            yield ("account_id",), "must be 0 or more"


@dataclass(frozen=True)
class TenancyConfig:
    """The vmauth users that stand between metric readers and VictoriaMetrics."""

    vmauth_backend: str = "http://127.0.0.1:8428"
    """VictoriaMetrics single-node URL, or vmselect's base URL in cluster mode."""
    vmauth_cluster: bool = False
    """Cluster mode: tenants are accountIDs in the path, not a ``tenant`` label filter."""
    vmauth_url: str = "http://127.0.0.1:8427"
    """Where vmauth listens, as Grafana reaches it (the tenants' datasources point here)."""
    readers: tuple[VmauthReader, ...] = ()
    analyzer_user: str = ""
    """A reader (usually tenant ``*``) whose vmauth user the analyzer reads metrics with, through ``vmauth_url``;
    empty: the analyzer reads ``analyzer.victoriametrics_url`` directly. Imports always go there directly."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if not self.vmauth_backend.startswith(("http://", "https://")):
            yield ("vmauth_backend",), f"expected an http(s) URL, got {self.vmauth_backend!r}"
        if self.analyzer_user and self.analyzer_user not in {r.username for r in self.readers}:
            yield ("analyzer_user",), f"no reader named {self.analyzer_user!r} in tenancy.readers"
        seen: dict[str, int] = {}
        orgs: dict[int, int] = {}
        for i, reader in enumerate(self.readers):
            if reader.grafana_org_id is not None:
                if reader.grafana_org_id in orgs:
                    other = orgs[reader.grafana_org_id]
                    yield ("readers", i, "grafana_org_id"), f"Grafana org {reader.grafana_org_id} is readers[{other}]'s"
                orgs.setdefault(reader.grafana_org_id, i)
            if reader.username in seen:
                first = seen[reader.username]
                yield ("readers", i, "username"), f"duplicate user {reader.username!r} (also readers[{first}])"
            seen.setdefault(reader.username, i)
            if self.vmauth_cluster and reader.tenant != ALL_TENANTS and reader.account_id is None:
                yield ("readers", i, "account_id"), "cluster mode needs the tenant's accountID"
            if self.vmauth_cluster and reader.tenant == ALL_TENANTS:
                yield (
                    ("readers", i, "tenant"),
                    "cluster mode has no all-tenants reader path; give the analyzer one user per accountID",
                )
