"""What the RCA and "why did this fire?" answers hold, built from incidents, finding records and the graph.

Pure: the API (:mod:`.incidents_api`, :mod:`.explain_api`) and the report (:mod:`.report`) fetch the data and
render these views, so the API and the report always say the same thing. Every statement is backed by a
finding's evidence or an inventory path, never by prose alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inframind.analyzer.correlate_graph import ImpactGraph, Path
from inframind.analyzer.correlate_rank import path_text
from inframind.analyzer.incidents import Cause, Incident
from inframind.analyzer.state import FindingRecord, FindingsStore

PATH_HOPS = 8
"""Paths are re-derived this deep for display (correlation itself looks at most ``max_hops`` deep)."""
TIMELINE = ("first_signal_at", "detected_at", "notified_at", "acknowledged_at", "resolved_at")


def records_of(findings: FindingsStore | None, incident: Incident) -> dict[str, FindingRecord]:
    """The records of an incident's findings that the store still has, read within the incident's tenant (the
    one read the views need; the API and the report call it with their store)."""
    if findings is None:
        return {}
    return {fp: record for fp in incident.findings if (record := findings.get(fp, incident.tenant)) is not None}


def finding_summary(record: FindingRecord | None, fingerprint: str) -> dict[str, Any]:
    if record is None:
        return {"fingerprint": fingerprint, "state": "unknown"}
    f = record.finding
    return {"fingerprint": fingerprint, "kind": f.kind, "asset_id": f.asset_id, "severity": f.severity,
            "title": f.title, "state": record.state}  # fmt: skip


def finding_view(record: FindingRecord | None, fingerprint: str) -> dict[str, Any]:
    """The summary plus the evidence, the windows and the links."""
    if record is None:
        return finding_summary(None, fingerprint)
    body = record.to_dict()
    f = body.pop("finding")
    return {**finding_summary(record, fingerprint), **body, **{k: f[k] for k in ("window", "evidence", "links",
            "labels", "score", "probability", "key")}}  # fmt: skip


def _path(cause: Cause, asset: str, graph: ImpactGraph | None) -> Path | None:
    if cause.path and cause.path[-1] == asset:
        return cause.path
    if graph is not None:
        return graph.path(cause.asset_id, asset, PATH_HOPS)
    return (asset,) if cause.asset_id == asset else None


def _path_view(path: Path | None) -> dict[str, Any] | None:
    return None if path is None else {"assets": list(path[::2]), "edges": list(path[1::2]), "text": path_text(path)}


def cause_view(cause: Cause, records: Mapping[str, FindingRecord], graph: ImpactGraph | None) -> dict[str, Any]:
    record = records.get(cause.fingerprint) if cause.fingerprint else None
    explains = []
    for fp in cause.explains:
        other = records.get(fp)
        asset = other.finding.asset_id if other else ""
        explains.append(
            {**finding_summary(other, fp), "path": _path_view(_path(cause, asset, graph) if asset else None)}
        )
    return {
        "asset_id": cause.asset_id,
        "asset_kind": graph.kind_of(cause.asset_id) if graph else "",
        "kind": cause.kind,
        "inferred": not cause.fingerprint,
        "score": cause.score,
        "finding": finding_summary(record, cause.fingerprint) if cause.fingerprint else None,
        "path": _path_view(cause.path) if cause.path else None,
        "explains": explains,
        "reasons": list(cause.reasons),
    }


def chain_view(incident: Incident, records: Mapping[str, FindingRecord], graph: ImpactGraph | None) -> list[
    dict[str, Any]
]:  # fmt: skip
    """The causal chain: the best cause's path, each asset with the incident's findings on it."""
    if not incident.causes:
        return []
    path = incident.causes[0].path or (incident.causes[0].asset_id,)
    steps = []
    for i, asset in enumerate(path[::2]):
        on = [
            finding_summary(r, fp) for fp in incident.findings if (r := records.get(fp)) and r.finding.asset_id == asset
        ]
        role = "cause" if i == 0 else "affected" if on else "via"
        steps.append({"asset_id": asset, "asset_kind": graph.kind_of(asset) if graph else "", "role": role,
                      "edge_to_next": path[2 * i + 1] if 2 * i + 1 < len(path) else None, "findings": on})  # fmt: skip
    return steps


def timeline_view(incident: Incident) -> dict[str, Any]:
    """The moments, and the durations people measure (seconds from the first signal)."""
    stamps = incident.to_dict()["timeline"]
    first = incident.timeline.first_signal_at
    after = {}
    for name in TIMELINE[1:]:
        moment = getattr(incident.timeline, name)
        after[name.removesuffix("_at") + "_after_seconds"] = (
            None if moment is None else (moment - first).total_seconds()
        )
    return {**stamps, **after}


def rca_view(incident: Incident, records: Mapping[str, FindingRecord], graph: ImpactGraph | None) -> dict[str, Any]:
    """``GET /api/v1/incidents/{id}/rca``: the chain, the causes with paths and what each explains, the evidence
    of every finding, and the timeline."""
    return {
        "incident": incident.to_dict(),
        "chain": chain_view(incident, records, graph),
        "causes": [cause_view(c, records, graph) for c in incident.causes],
        "findings": [finding_view(records.get(fp), fp) for fp in incident.findings],
        "timeline": timeline_view(incident),
    }


def _templates(record: FindingRecord, own: bool) -> list[dict[str, Any]]:
    found = []
    for evidence in record.finding.to_dict()["evidence"]:
        if evidence["kind"] == "log":
            found.append({**evidence, "finding": record.fingerprint, "asset_id": record.finding.asset_id, "own": own})
    return found


def explain_view(
    record: FindingRecord,
    incident: Incident | None,
    members: Mapping[str, FindingRecord],
    graph: ImpactGraph | None,
) -> dict[str, Any]:
    """``GET /api/v1/explain/{fingerprint}``: the detector or rule, the series and values, the log templates (its
    own and those of the incident's other findings) and the dependency path from the incident's cause."""
    f = record.finding
    evidence = f.to_dict()["evidence"]
    templates = _templates(record, True)
    for fp in incident.findings if incident else ():
        if fp != record.fingerprint and (other := members.get(fp)) is not None:
            templates.extend(_templates(other, False))
    path: dict[str, Any] | None = None
    if incident is not None:
        # The incident's root cause explains itself; any other finding is explained by the best cause reaching it.
        top = incident.causes[0] if incident.causes else None
        cause = top if top is not None and top.fingerprint == record.fingerprint else None
        cause = cause or next((c for c in incident.causes if record.fingerprint in c.explains), None)
        if cause is not None:
            route = (f.asset_id,) if cause.fingerprint == record.fingerprint else _path(cause, f.asset_id, graph)
            about = {"asset_id": cause.asset_id, "kind": cause.kind, "fingerprint": cause.fingerprint or None,
                     "score": cause.score}  # fmt: skip
            path = {"cause": about, **(_path_view(route) or {"assets": [], "edges": [], "text": ""})}
    return {
        "fingerprint": record.fingerprint,
        "finding": finding_view(record, record.fingerprint),
        "detector": {
            "kind": f.kind,
            "family": f.kind.split(".", 1)[0],
            "key": f.key,
            "rule": f.labels.get("alertname"),
            "model": f.labels.get("model"),
        },
        "series": [e for e in evidence if e["kind"] == "metric"],
        "log_templates": templates,
        "facts": [e for e in evidence if e["kind"] == "fact"],
        "incident": None
        if incident is None
        else {k: incident.to_dict()[k] for k in ("id", "title", "state", "severity")},
        "dependency_path": path,
    }
