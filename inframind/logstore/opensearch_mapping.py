"""What the OpenSearch store puts on a cluster: the index template, daily index names, documents, the ISM policy.

Pure data, no IO, so every shape is checked without a server.

Why daily indices named by the *event* timestamp (``<prefix>-YYYY.MM.DD``) rather than a data stream:

- dedup is a ``create`` with the fingerprint as ``_id``, and ``_id`` is only unique within one index. The
  fingerprint includes the timestamp, so the same event always lands in the same daily index and a replay
  months later is still caught. A data stream's backing index depends on *write* time: after a rollover the
  same event would be stored again.
- retention is dropping whole indices (cheap, no delete-by-query), which works on any cluster, with or
  without the ISM plugin; data streams need ISM rollover to stay bounded, and the osmem emulator the
  tests run on has no ISM. On a real cluster with ISM both layouts work; only this one keeps dedup exact.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from inframind.events import LogEvent

MESSAGE_ANALYZER = "inframind_message"
"""Standard tokenizer, lowercase, ASCII folding: "Überlauf" is found by "uberlauf", as SQLite's FTS5 does."""
MESSAGE_KEYWORD_LIMIT = 512
"""Messages up to this many characters also get an exact ``message.raw`` keyword (for dashboards' top-N)."""
LABEL_KEYWORD_LIMIT = 1024
"""Longer host/asset/event/provider/channel/record ids are kept in ``_source`` but not indexed."""

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EXACT = ("tenant", "source", "level", "fingerprint")
_LABELS = ("host", "asset_id", "event_id", "provider", "channel", "record_id")


def index_pattern(prefix: str) -> str:
    return f"{prefix}-*"


def index_name(prefix: str, stamp: dt.datetime) -> str:
    """The daily index of an event, by its UTC timestamp."""
    return f"{prefix}-{stamp.astimezone(dt.UTC):%Y.%m.%d}"


def index_day(prefix: str, name: str) -> dt.date | None:
    """The day a daily index holds, or None for an index that is not one of ours."""
    found = re.fullmatch(re.escape(prefix) + r"-(\d{4})\.(\d{2})\.(\d{2})", name)
    if found is None:
        return None
    try:
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def expired_indices(names: Iterable[str], prefix: str, today: dt.date, retention_days: int) -> list[str]:
    """Daily indices whose every event is older than ``retention_days`` (the whole day has passed the cutoff)."""
    expired = []
    for name in names:
        day = index_day(prefix, name)
        if day is not None and day + dt.timedelta(days=1 + retention_days) <= today:
            expired.append(name)
    return sorted(expired)


def index_template(prefix: str, shards: int, replicas: int) -> dict[str, Any]:
    """The composable template every daily index is created from.

    ``dynamic: false`` keeps unknown top-level keys in ``_source`` without mapping them (a newer writer
    does not break an older index); ``fields`` is not indexed at all (``enabled: false``), so arbitrary
    field names from sources (dots, spaces, empty keys) can neither explode nor break the mapping.
    ``timestamp`` is a plain ``date`` (milliseconds, for dashboards and the histogram: bucket edges are
    whole milliseconds, so truncation never moves an event across one) and ``timestamp_us`` the exact
    microseconds for sorting and time ranges. Not ``date_nanos``: it refuses anything before 1970, and a
    BMC whose unset clock reads the epoch in local time sends 1969 in UTC; one such event would fail a batch.
    """
    keyword: dict[str, Any] = {"type": "keyword"}
    properties: dict[str, Any] = {name: keyword for name in _EXACT}
    properties.update({name: {"type": "keyword", "ignore_above": LABEL_KEYWORD_LIMIT} for name in _LABELS})
    properties.update(
        {
            "timestamp": {"type": "date"},
            "timestamp_us": {"type": "long"},
            "ingested_at": {"type": "date", "format": "epoch_millis"},
            "ingest_seq": {"type": "long"},
            "message": {
                "type": "text",
                "analyzer": MESSAGE_ANALYZER,
                "fields": {"raw": {"type": "keyword", "ignore_above": MESSAGE_KEYWORD_LIMIT}},
            },
            "fields": {"type": "object", "enabled": False},
        }
    )
    analyzer = {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}
    return {
        "index_patterns": [index_pattern(prefix)],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "analysis": {"analyzer": {MESSAGE_ANALYZER: analyzer}},
            },
            "mappings": {"dynamic": False, "properties": properties},
        },
        "_meta": {"managed_by": "inframind"},
    }


def epoch_micros(stamp: dt.datetime) -> int:
    """Microseconds since the epoch, exactly (a float timestamp() would round far from 1970)."""
    delta = stamp - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _json_safe(value: Any) -> Any:
    # JSON has no NaN or infinity: one such field value would make OpenSearch reject the whole bulk request.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def document(event: LogEvent) -> dict[str, Any]:
    """The stored document, less ``ingested_at`` and ``ingest_seq``, which each bulk attempt adds."""
    doc = event.to_dict()
    doc["timestamp_us"] = epoch_micros(event.timestamp)
    if "fields" in doc:
        doc["fields"] = {key: _json_safe(value) for key, value in doc["fields"].items()}
    return doc


def event_from_source(source: Mapping[str, Any]) -> LogEvent:
    return LogEvent.from_dict(source)


def policy_name(prefix: str) -> str:
    return f"{prefix}-retention"


def policy_description(prefix: str, retention_days: int) -> str:
    """Also the version marker: a stored policy with another description is replaced."""
    return f"inframind: delete {prefix} daily log indices after {retention_days} days"


def ism_policy(prefix: str, retention_days: int) -> dict[str, Any]:
    """Delete each daily index once it is ``retention_days + 1`` days old.

    ISM measures age from index *creation*, and a daily index is created on its day, so one extra day
    makes its last event ``retention_days`` old before it goes (the same cut as :func:`expired_indices`).
    ``ism_template`` attaches the policy to every new index of the prefix.
    """
    return {
        "policy": {
            "description": policy_description(prefix, retention_days),
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {"state_name": "delete", "conditions": {"min_index_age": f"{retention_days + 1}d"}}
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [index_pattern(prefix)], "priority": 100}],
        }
    }
