"""OpenSearch for tests: the osmem emulator on loopback, store settings, and ISM/bulk answers for ``responses``.

No OpenSearch server installs here, so the integration tests run against ``osmem-server`` (PyPI), an
in-memory emulator of the OpenSearch REST API, and say so. It has no ISM plugin: the ISM exchanges are
tested with the ``responses`` library against the answers below, written in the shape the OpenSearch ISM
API documents (they are not captures of a live cluster). The osmem package also registers a pytest plugin
with its own ``osmem_*`` fixtures; these helpers do not use it (they start the binary themselves, on a
free port, and stop it by its PID like every other server in the suite).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from inframind.config import OpenSearchStoreSettings
from tests.helpers.procs import free_port
from tests.helpers.servers import Running

Json = dict[str, Any]
_prefixes = itertools.count(1)


def osmem_binary() -> str:
    """``$OSMEM_SERVER_BIN``, else the binary bundled in the osmem-server wheel."""
    explicit = os.environ.get("OSMEM_SERVER_BIN")
    if explicit:
        return explicit
    spec = importlib.util.find_spec("osmem_server")
    if spec is not None and spec.submodule_search_locations:
        binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "osmem-server"
        if binary.exists():
            return str(binary)
    pytest.fail("osmem-server not installed: pip install 'osmem-server>=0.1.6' (the OpenSearch API emulator)")


def start_osmem(log_dir: Path) -> Running:
    """The emulator on a free 127.0.0.1 port; it also exits if this test process dies."""
    port = free_port()
    argv = [osmem_binary(), "-addr", f"127.0.0.1:{port}", "-no-stdin-watch", "-no-ja", "-parent-pid", str(os.getpid())]
    server = Running("osmem-server", argv, log_dir, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/")
    return server


def unique_prefix(label: str = "t") -> str:
    """An index prefix no other test uses, so tests share one emulator without seeing each other's data."""
    return f"{label}{os.getpid()}-{next(_prefixes)}-logs"


def store_settings(url: str, prefix: str | None = None, **overrides: Any) -> OpenSearchStoreSettings:
    values: dict[str, Any] = {"hosts": (url,), "index_prefix": prefix or unique_prefix(), "replicas": 0}
    values.update(overrides)
    return OpenSearchStoreSettings(**values)


# ---------------------------------------------------------------- answers for ``responses``

NO_ISM_HANDLER: Json = {"error": "no handler found for uri [/_plugins/_ism/policies/x] and method [GET]"}
"""What a cluster without the ISM plugin answers (400); osmem-server 0.1.6 answers the same."""
POLICY_NOT_FOUND: Json = {
    "error": {
        "root_cause": [{"type": "status_exception", "reason": "Policy not found"}],
        "type": "status_exception",
        "reason": "Policy not found",
    },
    "status": 404,
}
FORBIDDEN: Json = {
    "error": {
        "root_cause": [{"type": "security_exception", "reason": "no permissions for [cluster:admin/opendistro/ism]"}],
        "type": "security_exception",
        "reason": "no permissions for [cluster:admin/opendistro/ism]",
    },
    "status": 403,
}
TEMPLATE_ACK: Json = {"acknowledged": True}
ADD_POLICY_ANSWER: Json = {"updated_indices": 2, "failures": False, "failed_indices": []}


def stored_policy(policy: Json, name: str, seq_no: int = 7, primary_term: int = 1) -> Json:
    """The GET/PUT answer for ``policy``: the body echoed with the fields ISM adds."""
    body = dict(policy["policy"])
    body.update(
        {"policy_id": name, "last_updated_time": 1764547200000, "schema_version": 21, "error_notification": None}
    )
    return {"_id": name, "_version": 1, "_seq_no": seq_no, "_primary_term": primary_term, "policy": body}


def version_conflict(name: str) -> Json:
    reason = f"[{name}]: version conflict, required seqNo [7], primary term [1]. current document has seqNo [8]"
    error = {"type": "version_conflict_engine_exception", "reason": reason}
    return {"error": {"root_cause": [error], **error}, "status": 409}


def bulk_item(doc_id: str, index: str, status: int) -> Json:
    """One ``create`` item of a bulk answer, with the error OpenSearch gives for that status."""
    result: Json = {"_index": index, "_id": doc_id, "status": status}
    if status == 201:
        result.update({"result": "created", "_version": 1, "_seq_no": 0, "_primary_term": 1})
    else:
        kind, reason = {
            409: ("version_conflict_engine_exception", f"[{doc_id}]: version conflict, document already exists"),
            429: ("rejected_execution_exception", "rejected execution of coordinating operation"),
            503: ("unavailable_shards_exception", "primary shard is not active"),
            400: ("mapper_parsing_exception", "failed to parse field [timestamp] of type [date_nanos]"),
        }[status]
        result["error"] = {"type": kind, "reason": reason, "index": index}
    return {"create": result}


def bulk_answer(items: list[Json]) -> Json:
    errors = any(next(iter(item.values()))["status"] >= 300 for item in items)
    return {"took": 3, "errors": errors, "items": items}
