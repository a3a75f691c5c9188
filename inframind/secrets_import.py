"""Credentials from an earlier InfraMind: decrypt with its ``APP_SECRET_KEY``, re-seal with ours.

The export is JSON (a list) or JSON lines, one target per entry: ``address``, ``kind`` and optionally
``module``, ``tenant``, ``asset``, ``interval``, ``labels``, with the credential either as one Fernet token
of the whole JSON credential (``"credential": "gAAAA..."``) or as a mapping whose encrypted fields are Fernet
tokens (``"credential": {"username": "mon", "password": "gAAAA..."}``). ``APP_SECRET_KEY`` is used as a Fernet
key when it is one, otherwise as a passphrase whose SHA-256 is the key (the two forms Fernet-based apps use);
the import says per entry what failed and never prints a credential.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

if TYPE_CHECKING:
    from inframind.analyzer.auth import Principal
    from inframind.analyzer.targets_api import Targets


class ImportError_(Exception):
    """One entry cannot be imported; the message names the entry and why, never a value."""


def legacy_fernet(app_secret_key: str) -> MultiFernet:
    """Fernet for the earlier key: the key itself if it is a Fernet key, and its SHA-256 as a passphrase."""
    passphrase = Fernet(base64.urlsafe_b64encode(hashlib.sha256(app_secret_key.encode("utf-8")).digest()))
    direct = _fernet_key(app_secret_key.strip())
    return MultiFernet([direct, passphrase] if direct is not None else [passphrase])


def _fernet_key(text: str) -> Fernet | None:
    """``text`` as a Fernet key, or None when it is not one (then it is a passphrase)."""
    try:
        return Fernet(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None


@dataclass(frozen=True)
class LegacyEntry:
    where: str
    """``line N`` or ``entry N`` of the export, for messages."""
    body: dict[str, Any]
    """The target as the API's TargetIn takes it, credential in clear (held only in memory)."""


def entries(text: str) -> Iterator[tuple[str, Any]]:
    """(where, parsed value) for a JSON list or JSON lines; a line that is not JSON is yielded as the error."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportError_(f"the export is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        for n, value in enumerate(data, start=1):
            yield f"entry {n}", value
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {n}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {n}", ImportError_(f"line {n}: not JSON ({exc.msg})")


def _open(fernet: MultiFernet, token: str, where: str, field: str) -> str:
    try:
        return fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise ImportError_(f"{where}: {field} does not decrypt with APP_SECRET_KEY (wrong key?)") from None


def decrypt_entry(where: str, raw: Any, fernet: MultiFernet) -> LegacyEntry:
    if not isinstance(raw, dict):
        raise ImportError_(f"{where}: expected an object with address and kind")
    body = {k: v for k, v in raw.items() if k in ("address", "kind", "module", "tenant", "asset", "interval", "labels")}
    credential = raw.get("credential")
    if isinstance(credential, str):
        try:
            opened = json.loads(_open(fernet, credential, where, "credential"))
        except json.JSONDecodeError:
            raise ImportError_(f"{where}: the decrypted credential is not a JSON object") from None
        if not isinstance(opened, dict):
            raise ImportError_(f"{where}: the decrypted credential is not a JSON object")
        body["credential"] = opened
    elif isinstance(credential, dict):
        body["credential"] = {
            key: _open(fernet, value, where, f"credential.{key}")
            if isinstance(value, str) and value.startswith("gAAAA")
            else value
            for key, value in credential.items()
        }
    elif credential is not None:
        raise ImportError_(f"{where}: credential must be a Fernet token or an object")
    return LegacyEntry(where, body)


def import_targets(text: str, fernet: MultiFernet, targets: Targets, admin: Principal) -> tuple[int, list[str]]:
    """Create each entry through the API's own validation; (imported, what was skipped and why)."""
    from fastapi import HTTPException
    from fastapi.exceptions import RequestValidationError
    from pydantic import ValidationError

    from inframind.analyzer.targets_api_model import TargetIn

    imported, problems = 0, []
    for where, raw in entries(text):
        try:
            if isinstance(raw, ImportError_):
                raise raw
            entry = decrypt_entry(where, raw, fernet)
            body = TargetIn.model_validate({"tenant": admin.tenant, **entry.body})
            targets.save(*targets.build(body, admin, None))
            imported += 1
        except ImportError_ as exc:
            problems.append(str(exc))
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "entry" for e in exc.errors())
            problems.append(f"{where}: invalid {fields}")
        except HTTPException as exc:
            problems.append(f"{where}: {exc.detail}")
        except RequestValidationError as exc:
            problems.append(f"{where}: " + "; ".join(str(e["msg"]) for e in exc.errors()))
    return imported, problems
