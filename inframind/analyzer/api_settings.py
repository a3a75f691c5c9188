"""Settings of the audit log, the credential store and API targets, and opening their stores for the analyzer.

The three dataclasses are meant for ``inframind/config/analyzer.py`` (``analyzer.audit``, ``analyzer.secrets``,
``analyzer.targets``); until they are there, :func:`open_api_v1` reads them from the config when present and
uses these defaults otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
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
from inframind.secretstore import SecretBox, SecretStoreError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps


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
    audit, secrets, targets = config.analyzer.audit, config.analyzer.secrets, config.analyzer.targets
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
