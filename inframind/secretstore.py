"""Encryption at rest for credentials entered through the API: Fernet, with MultiFernet for key rotation.

Credentials typed into the API (a BMC password for a new target) cannot be secret *references* like the ones in
config files: the API is where they arrive. So they are kept encrypted with a key that is itself a reference
(``env:INFRAMIND_SECRET_KEY`` or ``file:/etc/inframind/secret.key``) and never stored beside the data.

- A reference may hold several keys separated by commas, spaces or newlines, and several references may be
  given: the first key encrypts, every key decrypts. Rotation is: put a new key first, keep the old one after
  it, re-encrypt everything (:meth:`SecretBox.rotate` on each record), then drop the old key.
- Without any key the box is *closed*: :meth:`SecretBox.seal` raises :class:`NoKeyError` and callers refuse to
  store the credential. Nothing here ever falls back to plain text.
- Errors name the reference, never a key or a value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from inframind.config.analyzer_sections import DEFAULT_KEY_REF
from inframind.secrets import SecretError, SecretRef

log = logging.getLogger(__name__)


class SecretStoreError(Exception):
    """A key is unusable or a sealed value cannot be opened; the message names no secret."""


class NoKeyError(SecretStoreError):
    """No encryption key is configured, so nothing may be stored."""


def generate_key() -> str:
    """A new random Fernet key (32 bytes, urlsafe base64), for ``inframind secrets keygen``."""
    return Fernet.generate_key().decode("ascii")


def _split(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


def load_keys(refs: Iterable[SecretRef], env: Mapping[str, str] | None = None) -> list[bytes]:
    """Every key the references hold, primary first. A reference that is not set is skipped with a warning
    (the analyzer then runs without a credential store); a malformed key is a :class:`SecretStoreError`."""
    keys: list[bytes] = []
    for ref in refs:
        try:
            text = ref.resolve(env)
        except SecretError as exc:
            log.warning("secret store: %s; credentials cannot be stored with this key", exc)
            continue
        for n, part in enumerate(_split(text), start=1):
            try:
                Fernet(part.encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise SecretStoreError(
                    f"encryption key {n} in {ref.reference} is not a Fernet key (32 url-safe base64-encoded bytes); "
                    "create one with `inframind secrets keygen`"
                ) from None
            keys.append(part.encode("ascii"))
    return keys


class SecretBox:
    """Seals JSON-able mappings into Fernet tokens and opens them again."""

    def __init__(self, keys: Sequence[bytes] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None
        self._primary = Fernet(keys[0]) if keys else None

    @classmethod
    def from_refs(cls, refs: Iterable[SecretRef], env: Mapping[str, str] | None = None) -> SecretBox:
        return cls(load_keys(refs, env))

    @property
    def available(self) -> bool:
        """Whether a key is configured (credentials can be stored)."""
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise NoKeyError(
                "no encryption key is configured for stored credentials, and they are never kept in plain text: "
                f"set {DEFAULT_KEY_REF.target} (or analyzer.secrets.keys) to a key from `inframind secrets keygen`"
            )
        return self._fernet

    def seal(self, data: Mapping[str, Any]) -> str:
        """``data`` as JSON, encrypted with the primary key."""
        plain = json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode("utf-8")
        return self._require().encrypt(plain).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        """The mapping sealed in ``token``, with whichever configured key sealed it."""
        try:
            plain = self._require().decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise SecretStoreError(
                "a stored credential cannot be decrypted with the configured keys (was its key removed?)"
            ) from None
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise SecretStoreError("a stored credential is not a mapping")
        return value

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted with the primary key (unchanged content); raises if no key opens it."""
        try:
            return self._require().rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise SecretStoreError("a stored credential cannot be decrypted with the configured keys") from None

    def sealed_with_primary(self, token: str) -> bool:
        """Whether ``token`` opens with the primary key (so a rotation can report what is left to do)."""
        if self._primary is None:
            return False
        try:
            self._primary.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True
