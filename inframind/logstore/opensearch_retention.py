"""Retention for the OpenSearch store: an ISM policy where the plugin exists, else dropping expired daily indices.

ISM is the cluster's own way and keeps working when no agent runs, so it is preferred. It is missing on
clusters without the plugin, where the user may not manage it (403), and on the osmem emulator used in
tests; there the store deletes whole expired daily indices itself (by the day in the name, so a late event
that re-created an old day's index goes at the next run). Both cut at the same age (see
:func:`~inframind.logstore.opensearch_mapping.ism_policy`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from inframind.logstore.opensearch_mapping import expired_indices, index_pattern, ism_policy, policy_name

log = logging.getLogger(__name__)
T = TypeVar("T")
Retrying = Callable[[Callable[[], T]], T]
NO_ISM_STATUSES = frozenset({400, 403, 404, 405, 501})
"""What a cluster answers on ``/_plugins/_ism`` without the plugin (400 "no handler found"), without the
right (403), or behind a proxy that does not route it."""


def _policy_path(prefix: str) -> str:
    return f"/_plugins/_ism/policies/{policy_name(prefix)}"


def install_ism_policy(client: OpenSearch, prefix: str, retention_days: int, retrying: Retrying[Any]) -> bool:
    """Create or update the retention policy and attach it to existing indices; False when ISM is unavailable.

    An existing policy is replaced only when its description (which names the retention) differs, with
    ``if_seq_no``/``if_primary_term`` so two agents starting together cannot overwrite each other blindly.
    """
    path = _policy_path(prefix)
    policy = ism_policy(prefix, retention_days)
    try:
        current: dict[str, Any] | None = retrying(lambda: client.transport.perform_request("GET", path))
    except NotFoundError:
        current = None  # ISM answers 404 "Policy not found"; if something else said 404, the PUT will tell
    except TransportError as exc:
        if exc.status_code in NO_ISM_STATUSES:
            log.info(
                "OpenSearch ISM is not available (%s); expired daily indices are deleted by the store", exc.status_code
            )
            return False
        raise
    if current is not None and current.get("policy", {}).get("description") == policy["policy"]["description"]:
        return True
    params = {}
    if current is not None:
        params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
    try:
        retrying(lambda: client.transport.perform_request("PUT", path, params=params, body=policy))
    except TransportError as exc:
        if exc.status_code == 409:  # another writer installed or updated it just now
            return True
        if exc.status_code in NO_ISM_STATUSES:
            log.info(
                "OpenSearch refused the ISM policy (%s); expired daily indices are deleted by the store",
                exc.status_code,
            )
            return False
        raise
    # New indices get the policy from its ism_template; indices created before it need it added once.
    # Indices that already have a policy are left as they are (the add API skips them).
    add_path = f"/_plugins/_ism/add/{index_pattern(prefix)}"
    answer = retrying(
        lambda: client.transport.perform_request("POST", add_path, body={"policy_id": policy_name(prefix)})
    )
    log.info(
        "OpenSearch ISM policy %s installed (%s existing indices attached)",
        policy_name(prefix),
        answer.get("updated_indices", 0) if isinstance(answer, dict) else "?",
    )
    return True


def delete_expired_indices(
    client: OpenSearch, prefix: str, retention_days: int, today: dt.date, retrying: Retrying[Any]
) -> list[str]:
    """Delete our daily indices past retention, one by one by exact name; the names deleted."""
    listing = retrying(lambda: client.cat.indices(index=index_pattern(prefix), format="json", h="index"))
    names = [row["index"] for row in listing or []]
    deleted = []
    for name in expired_indices(names, prefix, today, retention_days):
        try:
            retrying(partial(client.indices.delete, index=name))
        except NotFoundError:
            continue  # deleted meanwhile by another store or by hand
        deleted.append(name)
    return deleted
