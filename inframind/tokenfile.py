"""API tokens made by ``inframind tokens create``: hashes, expiry and revocation in one YAML file.

The analyzer re-reads the file when it changes, so ``inframind tokens revoke`` takes effect on the next
request without a restart. The file holds only SHA-256 hashes (see :mod:`inframind.tokens`) and is written
atomically with mode 0600; revoked tokens stay listed (with when) so the audit trail can name them.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from inframind.config.analyzer import ROLES, ApiToken, Role
from inframind.tokens import generate_token

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class TokenFileError(Exception):
    """The token file cannot be read or the change cannot be made (the message names the file and why)."""


@dataclass(frozen=True)
class StoredToken:
    name: str
    hash: str
    role: Role
    tenant: str
    created: dt.datetime
    expires: dt.datetime | None = None
    revoked: dt.datetime | None = None

    def active(self, now: dt.datetime) -> bool:
        return self.revoked is None and (self.expires is None or self.expires > now)

    def as_api_token(self) -> ApiToken:
        return ApiToken(name=self.name, hash=self.hash, role=self.role, tenant=self.tenant, expires=self.expires)


def _time(value: Any, path: Path, name: str, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise TokenFileError(f"{path}: token {name!r}: {field} is not an ISO time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class TokenFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: tuple[float, tuple[StoredToken, ...]] | None = None

    def load(self) -> tuple[StoredToken, ...]:
        """All tokens, re-read only when the file changed (cheap enough for every request)."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return ()
        with self._lock:
            if self._cache is not None and self._cache[0] == mtime:
                return self._cache[1]
            tokens = self._parse()
            self._cache = (mtime, tokens)
            return tokens

    def _parse(self) -> tuple[StoredToken, ...]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise TokenFileError(f"{self.path}: cannot read the token file: {exc}") from None
        entries = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise TokenFileError(f"{self.path}: expected a mapping with a `tokens` list")
        out = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or entry.get("role") not in ROLES or not entry.get("name"):
                raise TokenFileError(f"{self.path}: tokens[{i}] needs name, hash, role ({'/'.join(ROLES)}), tenant")
            name = str(entry["name"])
            out.append(
                StoredToken(
                    name=name,
                    hash=str(entry.get("hash", "")),
                    role=entry["role"],
                    tenant=str(entry.get("tenant", "default")),
                    created=_time(entry.get("created"), self.path, name, "created")
                    or dt.datetime.min.replace(tzinfo=dt.UTC),
                    expires=_time(entry.get("expires"), self.path, name, "expires"),
                    revoked=_time(entry.get("revoked"), self.path, name, "revoked"),
                )
            )
        return tuple(out)

    def _write(self, tokens: Sequence[StoredToken]) -> None:
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        doc = {
            "tokens": [
                {
                    "name": t.name,
                    "hash": t.hash,
                    "role": t.role,
                    "tenant": t.tenant,
                    "created": iso(t.created),
                    "expires": iso(t.expires),
                    "revoked": iso(t.revoked),
                }
                for t in tokens
            ]
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("# Managed by `inframind tokens`: SHA-256 hashes only, never the tokens.\n")
                yaml.safe_dump(doc, out, sort_keys=False)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def create(
        self, name: str, role: Role, tenant: str, *, now: dt.datetime, lifetime: dt.timedelta | None
    ) -> tuple[str, StoredToken]:
        """A new token (returned once, in clear) and its stored record; an active token's name is refused."""
        tokens = self._parse() if self.path.exists() else ()
        if any(t.name == name and t.active(now) for t in tokens):
            raise TokenFileError(f"{self.path}: an active token named {name!r} exists; revoke it first")
        token, hashed = generate_token()
        record = StoredToken(name, hashed, role, tenant, created=now, expires=now + lifetime if lifetime else None)
        self._write([*tokens, record])
        return token, record

    def revoke(self, name: str, *, now: dt.datetime) -> StoredToken:
        tokens = list(self._parse() if self.path.exists() else ())
        for i, token in enumerate(tokens):
            if token.name == name and token.revoked is None:
                tokens[i] = replace(token, revoked=now)
                self._write(tokens)
                return tokens[i]
        raise TokenFileError(f"{self.path}: no unrevoked token named {name!r} (see `inframind tokens list`)")

    def active_tokens(self, now: dt.datetime) -> list[ApiToken]:
        return [t.as_api_token() for t in self.load() if t.active(now)]
