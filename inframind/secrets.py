"""Secret references, resolved at use and never shown.

A config never holds a credential, only where to find it: ``env:NAME`` or ``file:/path``. The value is
read when a collector or sink needs it, and every value ever resolved is scrubbed from log records by
:class:`RedactingFilter`. ``repr``, ``str`` and error messages show ``<redacted>`` or the reference,
never the value.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REDACTED = "<redacted>"


class SecretError(Exception):
    """A reference could not be resolved; the message names the reference, never a value."""


_seen_lock = threading.Lock()
_seen_values: set[str] = set()


def _remember(value: str) -> None:
    if len(value) >= 4:  # scrubbing one- to three-letter strings would mangle every log line
        with _seen_lock:
            _seen_values.add(value)


def scrub(text: str) -> str:
    """Replace every secret value resolved so far in ``text`` with ``<redacted>``."""
    with _seen_lock:
        values = sorted(_seen_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


@dataclass(frozen=True, repr=False)
class SecretRef:
    """Where a secret lives: ``env:NAME`` or ``file:/path`` (the file's content, trailing newline dropped)."""

    scheme: str
    target: str

    @classmethod
    def from_config(cls, value: object) -> SecretRef:
        # Never echo ``value``: a user who pasted a password here must not see it in an error or a log.
        if not isinstance(value, str):
            raise ValueError("expected a secret reference: env:NAME or file:/path")
        scheme, sep, target = value.partition(":")
        if not sep or scheme not in ("env", "file") or not target:
            raise ValueError(
                "expected a secret reference such as env:NAME or file:/path; literal secrets are not "
                f"accepted in config (value {REDACTED})"
            )
        return cls(scheme, target)

    @property
    def reference(self) -> str:
        """The reference itself (safe to show: it says where, not what)."""
        return f"{self.scheme}:{self.target}"

    def resolve(self, env: Mapping[str, str] | None = None) -> str:
        """Read the value now; raises SecretError naming the reference on failure."""
        if self.scheme == "env":
            environ = os.environ if env is None else env
            if self.target not in environ:
                raise SecretError(f"secret {self.reference}: environment variable {self.target} is not set")
            value = environ[self.target]
        else:
            try:
                value = Path(self.target).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SecretError(f"secret {self.reference}: cannot read file: {exc.strerror}") from None
        _remember(value)
        return value

    def __repr__(self) -> str:
        return f"SecretRef({REDACTED})"

    __str__ = __repr__


class RedactingFilter(logging.Filter):
    """Scrubs resolved secret values from every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
