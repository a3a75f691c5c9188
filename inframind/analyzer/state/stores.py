"""Findings, incidents, feedback and tickets in portable SQL (see :mod:`.sql`), one class per store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from inframind.analyzer.findings import Finding, LogEvidence
from inframind.analyzer.incidents import Incident, IncidentState
from inframind.analyzer.state.records import (
    FeedbackAction,
    FeedbackRecord,
    FindingRecord,
    FindingState,
    StateError,
    Ticket,
    iso,
    maybe_iso,
    maybe_stamp,
    stamp,
)
from inframind.analyzer.state.sql import SQLState, dumps, equal_filters, where


def _assets(finding: Finding) -> list[str]:
    listed = {finding.asset_id} if finding.asset_id else set()
    for evidence in finding.evidence:
        if isinstance(evidence, LogEvidence):
            listed.update(evidence.assets)
    return sorted(listed)


def _record(row: Sequence[Any]) -> FindingRecord:
    state, first_seen, last_seen, resolved_at, count, body = row
    return FindingRecord(
        finding=Finding.from_dict(json.loads(body)),
        state=state,
        first_seen=stamp(first_seen),
        last_seen=stamp(last_seen),
        count=int(count),
        resolved_at=maybe_stamp(resolved_at),
    )


_RECORD = "state, first_seen, last_seen, resolved_at, count, body"


class SQLFindingsStore:
    """Findings keyed by fingerprint (see :class:`~.base.FindingsStore`)."""

    def __init__(self, db: SQLState) -> None:
        self.db = db

    def upsert(self, record: FindingRecord) -> None:
        f = record.finding
        self.db.execute(
            "INSERT INTO findings (fingerprint, tenant, kind, asset_id, assets, severity, state, first_seen,"
            " last_seen, resolved_at, count, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (fingerprint) DO UPDATE SET tenant = excluded.tenant, kind = excluded.kind,"
            " asset_id = excluded.asset_id, assets = excluded.assets, severity = excluded.severity,"
            " state = excluded.state, first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
            " resolved_at = excluded.resolved_at, count = excluded.count, body = excluded.body",
            (f.fingerprint, f.tenant, f.kind, f.asset_id, json.dumps(_assets(f)), f.severity, record.state,
             iso(record.first_seen), iso(record.last_seen), maybe_iso(record.resolved_at), record.count,
             dumps(f.to_dict())),
        )  # fmt: skip

    def get(self, fingerprint: str, tenant: str | None = None) -> FindingRecord | None:
        clauses, params = equal_filters((("fingerprint", fingerprint), ("tenant", tenant)))
        rows = self.db.execute(f"SELECT {_RECORD} FROM findings {where(clauses)}", params)  # noqa: S608
        return _record(rows[0]) if rows else None

    def list(
        self,
        tenant: str | None = None,
        state: FindingState | None = None,
        kind: str | None = None,
        asset: str | None = None,
        limit: int = 1000,
    ) -> list[FindingRecord]:
        clauses, params = equal_filters((("tenant", tenant), ("state", state)))
        if kind is not None:
            clauses.append("substr(kind, 1, length(?)) = ?" if kind.endswith(".") else "kind = ?")
            params.extend((kind, kind) if kind.endswith(".") else (kind,))
        if asset is not None:
            clauses.append(f"(asset_id = ? OR {self.db.dialect.json_contains.format(column='assets')})")
            params.extend((asset, asset))
        rows = self.db.execute(
            f"SELECT {_RECORD} FROM findings {where(clauses)} "  # noqa: S608 - fixed columns
            "ORDER BY last_seen DESC, kind, asset_id, fingerprint LIMIT ?",
            (*params, limit),
        )
        return [_record(row) for row in rows]

    def active_counts(self) -> dict[tuple[str, str], int]:
        rows = self.db.execute("SELECT kind, severity, COUNT(*) FROM findings WHERE state = 'active' GROUP BY 1, 2")
        return {(kind, severity): int(n) for kind, severity, n in rows}


SQLiteFindingsStore = SQLFindingsStore
"""The name existing code imports; the class serves both backends."""


class SQLIncidentStore:
    """Incidents as JSON bodies, with their findings indexed for :meth:`by_finding`."""

    def __init__(self, db: SQLState) -> None:
        self.db = db

    def upsert(self, incident: Incident) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO incidents (id, tenant, state, detected_at, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id)"
                " DO UPDATE SET tenant = excluded.tenant, state = excluded.state, detected_at = excluded.detected_at,"
                " body = excluded.body",
                (incident.id, incident.tenant, incident.state, iso(incident.timeline.detected_at),
                 dumps(incident.to_dict())),
            )  # fmt: skip
            self.db.execute("DELETE FROM incident_findings WHERE incident_id = ?", (incident.id,))
            for fingerprint in dict.fromkeys(incident.findings):
                self.db.execute(
                    "INSERT INTO incident_findings (fingerprint, incident_id) VALUES (?, ?) ON CONFLICT (fingerprint)"
                    " DO UPDATE SET incident_id = excluded.incident_id",
                    (fingerprint, incident.id),
                )

    def get(self, incident_id: str, tenant: str | None = None) -> Incident | None:
        clauses, params = equal_filters((("id", incident_id), ("tenant", tenant)))
        rows = self.db.execute(f"SELECT body FROM incidents {where(clauses)}", params)  # noqa: S608
        return Incident.from_dict(json.loads(rows[0][0])) if rows else None

    def by_finding(self, fingerprint: str) -> Incident | None:
        rows = self.db.execute(
            "SELECT i.body FROM incident_findings f JOIN incidents i ON i.id = f.incident_id WHERE f.fingerprint = ?",
            (fingerprint,),
        )
        return Incident.from_dict(json.loads(rows[0][0])) if rows else None

    def list(self, tenant: str | None = None, state: IncidentState | None = None, limit: int = 100,
             offset: int = 0) -> list[Incident]:  # fmt: skip
        clauses, params = equal_filters((("tenant", tenant), ("state", state)))
        rows = self.db.execute(
            f"SELECT body FROM incidents {where(clauses)} ORDER BY detected_at DESC, id LIMIT ? OFFSET ?",  # noqa: S608
            (*params, limit, offset),
        )
        return [Incident.from_dict(json.loads(body)) for (body,) in rows]


_FEEDBACK = "id, action, actor, tenant, at, fingerprint, incident_id, note, until"


def _feedback(row: Sequence[Any]) -> FeedbackRecord:
    fid, action, actor, tenant, at, fingerprint, incident_id, note, until = row
    return FeedbackRecord(fid, action, actor, tenant, stamp(at), fingerprint, incident_id, note, maybe_stamp(until))


class SQLFeedbackStore:
    """Feedback records, append-only (acknowledge, false positive, silence)."""

    def __init__(self, db: SQLState) -> None:
        self.db = db

    def add(self, record: FeedbackRecord) -> None:
        if self.db.execute("SELECT 1 FROM feedback WHERE id = ?", (record.id,)):
            raise StateError(f"feedback {record.id!r} already exists: feedback records are never rewritten")
        self.db.execute(
            f"INSERT INTO feedback ({_FEEDBACK}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            (record.id, record.action, record.actor, record.tenant, iso(record.at), record.fingerprint,
             record.incident_id, record.note, maybe_iso(record.until)),
        )  # fmt: skip

    def get(self, feedback_id: str, tenant: str | None = None) -> FeedbackRecord | None:
        clauses, params = equal_filters((("id", feedback_id), ("tenant", tenant)))
        rows = self.db.execute(f"SELECT {_FEEDBACK} FROM feedback {where(clauses)}", params)  # noqa: S608
        return _feedback(rows[0]) if rows else None

    def list(  # noqa: PLR0917 (the API's callers pass the filters positionally)
        self,
        tenant: str | None = None,
        fingerprint: str | None = None,
        incident_id: str | None = None,
        action: FeedbackAction | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FeedbackRecord]:
        clauses, params = equal_filters(
            (("tenant", tenant), ("fingerprint", fingerprint), ("incident_id", incident_id), ("action", action))
        )
        rows = self.db.execute(
            f"SELECT {_FEEDBACK} FROM feedback {where(clauses)} ORDER BY at DESC, id LIMIT ? OFFSET ?",  # noqa: S608
            (*params, limit, offset),
        )
        return [_feedback(row) for row in rows]


_TICKET = "incident_id, system, key, url, state, updated_at"


def _ticket(row: Sequence[Any]) -> Ticket:
    incident_id, system, key, url, state, updated_at = row
    return Ticket(incident_id, system, key, url, state, stamp(updated_at))


class SQLTicketStore:
    """One ITSM ticket per (incident, system)."""

    def __init__(self, db: SQLState) -> None:
        self.db = db

    def upsert(self, ticket: Ticket) -> None:
        self.db.execute(
            f"INSERT INTO tickets ({_TICKET}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, system) DO UPDATE"  # noqa: S608
            " SET key = excluded.key, url = excluded.url, state = excluded.state, updated_at = excluded.updated_at",
            (ticket.incident_id, ticket.system, ticket.key, ticket.url, ticket.state, iso(ticket.updated_at)),
        )

    def get(self, incident_id: str, system: str) -> Ticket | None:
        rows = self.db.execute(
            f"SELECT {_TICKET} FROM tickets WHERE incident_id = ? AND system = ?",  # noqa: S608
            (incident_id, system),
        )
        return _ticket(rows[0]) if rows else None

    def for_incident(self, incident_id: str) -> list[Ticket]:
        rows = self.db.execute(
            f"SELECT {_TICKET} FROM tickets WHERE incident_id = ? ORDER BY system",  # noqa: S608
            (incident_id,),
        )
        return [_ticket(row) for row in rows]

    def list(self, system: str | None = None, state: str | None = None, limit: int = 100,
             offset: int = 0) -> list[Ticket]:  # fmt: skip
        clauses, params = equal_filters((("system", system), ("state", state)))
        rows = self.db.execute(
            f"SELECT {_TICKET} FROM tickets {where(clauses)} "  # noqa: S608
            "ORDER BY updated_at DESC, incident_id, system LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_ticket(row) for row in rows]
