"""Settings of the audit log, the credential store and API targets, and opening their stores for the analyzer.

The three dataclasses are meant for ``inframind/config/analyzer.py`` (``analyzer.audit``, ``analyzer.secrets``,
``analyzer.targets``); until they are there, :func:`open_api_v1` reads them from the config when present and
uses these defaults otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inframind.analyzer.api_sources import StateTemplates
from inframind.analyzer.audit_store import AUDIT_FILE, AuditError, StateAuditLog
from inframind.analyzer.state import FeedbackStore, StateError
from inframind.analyzer.state.sql import SQLState
from inframind.analyzer.targets_api import TargetsDeps
from inframind.analyzer.targets_api_model import module_catalog
from inframind.analyzer.targets_api_sd import SdSettings
from inframind.analyzer.targets_api_store import TARGETS_FILE, SQLiteTargetStore, TargetStoreError
from inframind.config import Config
from inframind.schema import Duration, PathKey
from inframind.secrets import SecretRef
from inframind.secretstore import DEFAULT_KEY_REF, SecretBox, SecretStoreError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps


@dataclass(frozen=True)
class AuditSettings:
    retention: Duration = 365 * 86400.0
    """Records older than this are deleted (the chain stays verifiable from its anchor)."""

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.retention < 86400:
            yield ("retention",), "must be at least 1d"


@dataclass(frozen=True)
class SecretStoreSettings:
    keys: tuple[SecretRef, ...] = (DEFAULT_KEY_REF,)
    """Fernet keys for credentials entered through the API (env:/file: references; the first key encrypts)."""


@dataclass(frozen=True)
class ApiTargetSettings:
    probe_exporter: str = "127.0.0.1:10121"
    """``host:port`` of the exporter whose /probe reaches API and inventory targets in http_sd."""
    probe_scheme: str = "http"

    def check(self) -> Iterator[tuple[PathKey, str]]:
        if self.probe_scheme not in ("http", "https"):
            yield ("probe_scheme",), "expected http or https"


def _section(config: Config, name: str, default: Any) -> Any:
    return getattr(config.analyzer, name, default)


def open_api_v1(
    config: Config,
    deps: Deps,
    resources: ExitStack,
    *,
    kv_get: Callable[[str], Any] | None = None,
    feedback: FeedbackStore | None = None,
    state: SQLState | None = None,
) -> None:
    """The audit log and the targets file in ``analyzer.state_dir``, the key box, the template snapshots and the
    feedback store, set on ``deps``; ``resources`` closes them. A store that cannot be opened is an OSError.

    With ``state`` (the analyzer's state store) the audit log is its ``audit`` table, shared by replicas on
    PostgreSQL; without it, a SQLite file of its own in the state directory."""
    state_dir = Path(config.analyzer.state_dir)
    audit: AuditSettings = _section(config, "audit", AuditSettings())
    secrets: SecretStoreSettings = _section(config, "secrets", SecretStoreSettings())
    targets: ApiTargetSettings = _section(config, "targets", ApiTargetSettings())
    try:
        if state is not None:
            log = StateAuditLog(state, retention=audit.retention, clock=deps.clock)
        else:
            log = StateAuditLog.open_file(state_dir / AUDIT_FILE, retention=audit.retention, clock=deps.clock)
        resources.callback(log.close)
        store = SQLiteTargetStore(state_dir / TARGETS_FILE)
        resources.callback(store.close)
        box = SecretBox.from_refs(secrets.keys)
    except (AuditError, StateError, TargetStoreError, SecretStoreError) as exc:
        raise OSError(str(exc)) from None
    deps.audit = log
    deps.api_targets = TargetsDeps(
        store, box, SdSettings(targets.probe_exporter, targets.probe_scheme), module_catalog(config.exporter.modules)
    )
    deps.templates = StateTemplates(kv_get) if kv_get is not None else None
    deps.feedback_reader = feedback
