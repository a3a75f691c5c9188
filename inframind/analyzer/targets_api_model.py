"""Collector targets created through the API: the request shape, the stored record, and the answer (pure).

A target is an address, the prober that reaches it (``kind``), the /probe module, an interval and labels, plus
either the name of an auth from the exporter's config (``auth``) or a credential given right here
(``credential``), which is checked against the prober's auth fields and then kept only encrypted. Answers
describe a stored credential by its field names; its values leave the analyzer only through the audited
``GET /api/v1/auths/{name}`` lookup of collectors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from inframind.exporters.probe.apiauth import API_PREFIX
from inframind.exporters.probe.config import shipped_modules
from inframind.inventory import RESERVED_LABELS

Kind = Literal["tcp", "snmp", "redfish", "ipmi", "ssh"]
DEFAULT_MODULES: Mapping[str, str] = {
    "tcp": "tcp_connect", "snmp": "if_mib", "redfish": "redfish", "ipmi": "ipmi", "ssh": "ssh_linux",
}  # fmt: skip
DEFAULT_INTERVAL = 60.0
MAX_LABELS = 32
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

Address = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._:\[\]%-]+$")
]
ModuleName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
AuthName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
AssetId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Tenant = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")]


def module_catalog(extra: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Module name -> its prober: the shipped modules and those of the exporter config (``exporter.modules``)."""
    found = {name: str(d.get("prober")) for name, d, _ in shipped_modules() if isinstance(d, dict)}
    found.update({name: str(d.get("prober")) for name, d in (extra or {}).items() if isinstance(d, Mapping)})
    return found


class TargetIn(BaseModel):
    """A collector target to create or replace."""

    model_config = ConfigDict(extra="forbid")

    address: Address = Field(description="host, host:port or [v6]:port the probe connects to.", examples=["10.0.0.5"])
    kind: Kind = Field(description="The prober that reaches it.")
    module: ModuleName | None = Field(default=None, description="The /probe module (default: the kind's own).")
    auth: AuthName | None = Field(default=None, description="An auth of the exporter's config, by name.")
    credential: dict[str, Any] | None = Field(
        default=None,
        description="The prober's auth fields (e.g. username, password); stored encrypted, never shown again. "
        "On PUT, leaving it out keeps the stored one; null removes it.",
    )
    interval: float = Field(default=DEFAULT_INTERVAL, ge=5, le=86400, description="Scrape interval, seconds.")
    asset: AssetId | None = Field(default=None, description="The asset the series belong to (default: the address).")
    labels: dict[str, Annotated[str, StringConstraints(max_length=256)]] = Field(default_factory=dict)
    tenant: Tenant | None = Field(default=None, description="Admins: the tenant (default: the token's).")

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) > MAX_LABELS:
            raise ValueError(f"at most {MAX_LABELS} labels")
        for name in labels:
            if not _LABEL.match(name) or name.startswith("__"):
                raise ValueError(f"label {name[:64]!r}: expected a Prometheus label name not starting with __")
            if name in RESERVED_LABELS or name == "target_id":
                raise ValueError(f"label {name!r} is reserved: the service discovery sets it")
        return labels

    @field_validator("auth")
    @classmethod
    def _auth(cls, auth: str | None) -> str | None:
        if auth is not None and auth.startswith(API_PREFIX.rstrip(":")):
            raise ValueError("names an auth of the exporter config; API credentials go in `credential`")
        return auth


@dataclass(frozen=True)
class ApiTarget:
    id: str
    tenant: str
    address: str
    kind: str
    module: str
    interval: float
    asset: str
    labels: Mapping[str, str] = field(default_factory=dict)
    auth: str | None = None
    """An auth of the exporter config; None when the target has a stored credential (or none at all)."""
    credential_fields: tuple[str, ...] = ()
    """Field names of the stored credential; empty: none stored."""
    created_at: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    updated_at: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    @property
    def has_credential(self) -> bool:
        return bool(self.credential_fields)

    @property
    def auth_reference(self) -> str | None:
        """What the probe gets as ``auth=``: ``api:<id>`` for a stored credential, else the config auth."""
        return f"{API_PREFIX}{self.id}" if self.has_credential else self.auth

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "tenant": self.tenant, "address": self.address, "kind": self.kind, "module": self.module,
            "interval": self.interval, "asset": self.asset, "labels": dict(self.labels), "auth": self.auth_reference,
            "credential": {"stored": True, "fields": list(self.credential_fields)} if self.has_credential else None,
            "source": "api", "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at),
        }  # fmt: skip


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
