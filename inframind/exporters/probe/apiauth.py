"""Credentials kept by the analyzer's API, as the probers' own ``Auth`` objects (pure; no IO).

A credential entered through the API is a plain mapping of the prober's auth fields (``{"username": "monitor",
"password": "..."}`` for redfish). Both sides validate it with the prober's ``Auth`` dataclass, so the API
refuses exactly what the exporter would: the analyzer when it is stored, the exporter when it is fetched.

Secret fields (those typed :class:`~inframind.secrets.SecretRef`) carry the value itself here, wrapped in
:class:`FetchedSecret`: a SecretRef whose ``resolve()`` returns the fetched value (and registers it for log
scrubbing like any resolved secret) and whose repr shows only ``api:<name>.<field>``.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.exporters.probe.base import PROBERS
from inframind.exporters.probe.config import Auth
from inframind.schema import ConfigError, Origin, build
from inframind.secrets import SecretRef

API_PREFIX = "api:"
"""An ``auth=`` value naming a credential kept by the analyzer's API: ``api:<name>``."""
MAX_SECRET = 16384
_PLACEHOLDER_ENV = "INFRAMIND_API_CREDENTIAL"


class CredentialError(ValueError):
    """The credential does not fit the prober; ``problems`` are (field, message), never a value."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f or '<credential>'}: {m}" for f, m in problems))


@dataclass(frozen=True, repr=False)
class FetchedSecret(SecretRef):
    value: str = field(default="", compare=False)

    def resolve(self, env: Mapping[str, str] | None = None) -> str:
        # Resolving through an env reference registers the value for scrubbing, as for any secret read.
        return SecretRef("env", _PLACEHOLDER_ENV).resolve({_PLACEHOLDER_ENV: self.value})


def credential_kinds() -> list[str]:
    """Probers that take credentials (tcp does not)."""
    return [name for name, spec in PROBERS.items() if spec.auth_type() is not None]


def secret_fields(kind: str) -> frozenset[str]:
    """The fields of ``kind``'s auth that hold secrets."""
    auth_type = PROBERS[kind].auth_type()
    if auth_type is None:
        return frozenset()
    hints = typing.get_type_hints(auth_type)
    return frozenset(name for name, hint in hints.items() if SecretRef in (hint, *typing.get_args(hint)))


_ECHO = re.compile(r",? got .*$", re.DOTALL)


def check_credential(kind: str, data: Mapping[str, Any]) -> Any:
    """The prober's ``Auth`` settings for ``data`` with placeholder secrets; :class:`CredentialError` lists every
    problem (the field and why, never what was given for a secret)."""
    spec = PROBERS.get(kind)
    auth_type = spec.auth_type() if spec is not None else None
    if auth_type is None:
        raise CredentialError([("", f"{kind} targets take no credential; expected one of {credential_kinds()}")])
    secrets = secret_fields(kind)
    problems: list[tuple[str, str]] = []
    placeholders: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type":
            if value != kind:
                problems.append(("type", f"must be {kind} (the target's kind) or left out"))
            continue
        if key in secrets:
            if not isinstance(value, str) or not value or len(value) > MAX_SECRET:
                problems.append((key, f"expected a non-empty string of at most {MAX_SECRET} characters"))
            placeholders[key] = f"env:{_PLACEHOLDER_ENV}"
        else:
            placeholders[key] = value
    try:
        settings = build(auth_type, placeholders, Origin("credential"))
    except ConfigError as exc:
        # A secret pasted into the wrong field must not come back in the error: drop the echoed value.
        problems.extend((issue.field, _ECHO.sub("", issue.message)) for issue in exc.issues)
        settings = None
    if problems:
        raise CredentialError(problems)
    return settings


def plain_credential(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` checked and reduced to its fields (without ``type``): what is sealed and later served."""
    check_credential(kind, data)
    return {k: v for k, v in data.items() if k != "type"}


def auth_from_credential(name: str, kind: str, data: Mapping[str, Any]) -> Auth:
    """The exporter's :class:`Auth` for a fetched credential, its secrets as :class:`FetchedSecret`."""
    settings = check_credential(kind, data)
    secrets = {
        key: FetchedSecret("api", f"{name}.{key}", value=str(value))
        for key, value in data.items()
        if key in secret_fields(kind)
    }
    return Auth(name, kind, dataclasses.replace(settings, **secrets))
