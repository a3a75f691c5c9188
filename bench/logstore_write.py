"""Write throughput of the log stores: events per second through ``LogStore.write``, batches of 1000.

The events are real log lines: the Content of the eight Loghub-2k systems in ../shared/bench/loghub2k
(Apache, BGL, HDFS, HPC, Linux, OpenSSH, Proxifier, Zookeeper), each given a host, a level (from the line's
own level where it has one), a source, a timestamp spread over two days (so OpenSearch writes cross daily
indices) and, for one in four, structured fields. Every batch is new: no duplicates are measured here.

For bench/logs.py: :func:`realistic_events` and :func:`write_rate` (which checks every event was written,
so a store that fails fast cannot look fast).

Run alone, it starts osmem-server on 127.0.0.1 (an in-memory OpenSearch API emulator: no OpenSearch installs
here, so the figure is our client's cost plus the emulator's, not a cluster's) and measures, alternating
rounds on fresh index prefixes: our OpenSearchStore, the peer (opensearch-py's ``helpers.bulk`` of the same
documents with the same ``create``/fingerprint ids, as a hand-written loader would send them), and the
SQLite store in a temporary file. The last line printed:
``opensearch_write_events_per_s=... opensearch_vs_helpers_bulk_ratio=... opensearch_client_cpu_us_per_event=...
sqlite_write_events_per_s=...``. On the emulator the server's time dominates (it parses and indexes every
document in one process), so the client CPU per event is the figure that carries over to a real cluster.

    .venv/bin/python bench/logstore_write.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opensearchpy import OpenSearch, helpers  # noqa: E402

from inframind.config import SQLiteStoreSettings  # noqa: E402
from inframind.events import LogEvent, Source  # noqa: E402
from inframind.logstore.base import LogStore  # noqa: E402
from inframind.logstore.opensearch import OpenSearchStore  # noqa: E402
from inframind.logstore.opensearch_mapping import document, index_name, index_template  # noqa: E402
from inframind.logstore.sqlite import SQLiteStore  # noqa: E402
from inframind.normalize import level_from_word  # noqa: E402
from tests.helpers.opensearch import start_osmem, store_settings, unique_prefix  # noqa: E402

LOGHUB = ROOT.parent / "shared" / "bench" / "loghub2k"
SYSTEMS: dict[str, Source] = {
    "Apache": "file", "BGL": "file", "HDFS": "file", "HPC": "file", "Linux": "syslog", "OpenSSH": "syslog",
    "Proxifier": "eventlog", "Zookeeper": "file",
}  # fmt: skip
START = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=2)


def loghub_lines() -> list[tuple[str, str, str, str]]:
    """``(system, level word, component, content)`` of every line of the eight systems, system by system."""
    lines = []
    for system in SYSTEMS:
        path = LOGHUB / system / f"{system}_2k.log_structured.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                level = row.get("Level") or row.get("State") or ""
                component = row.get("Component") or row.get("Program") or ""
                lines.append((system, level, component, row["Content"]))
    return lines


def realistic_events(n: int, tenant: str = "default") -> list[LogEvent]:
    """``n`` events built from the Loghub lines, interleaved across systems as a fleet's agents would send them."""
    lines = loghub_lines()
    by_system = len(lines) // len(SYSTEMS)
    events = []
    for i in range(n):
        system, level, component, content = lines[(i % len(SYSTEMS)) * by_system + (i // len(SYSTEMS)) % by_system]
        fields: dict[str, str | int | float | bool | None] = {}
        if i % 4 == 0:
            fields = {"component": component, "line": i, "system": system}
        events.append(
            LogEvent(
                timestamp=START + SPAN * (i / n) + dt.timedelta(microseconds=i % 997),
                source=SYSTEMS[system],
                level=level_from_word(level),
                message=content,
                host=f"{system.lower()}-{i % 16:02d}",
                asset_id=f"{system.lower()}-{i % 16:02d}",
                tenant=tenant,
                provider=component or None,
                fields=fields,
            )
        )
    return events


def write_rate(store: LogStore, events: Sequence[LogEvent], batch_size: int = 1000) -> float:
    """Events per second written through ``store`` in batches of ``batch_size``; all must be new."""
    written = 0
    began = time.perf_counter()
    for start in range(0, len(events), batch_size):
        written += store.write(events[start : start + batch_size]).written
    elapsed = time.perf_counter() - began
    if written != len(events):
        raise RuntimeError(f"{type(store).__name__} wrote {written} of {len(events)} new events")
    return len(events) / elapsed


def helpers_bulk_rate(url: str, events: Sequence[LogEvent], batch_size: int = 1000) -> float:
    """The peer: opensearch-py's helpers.bulk of the same documents (ingest stamp included) to the same daily
    indices under the same template; what is left of the difference is the store's own cost."""
    client = OpenSearch(hosts=[url])
    prefix = unique_prefix("peer")
    client.indices.put_index_template(name=prefix, body=index_template(prefix, shards=1, replicas=0))
    actions: list[dict[str, Any]] = []
    began = time.perf_counter()
    for position, event in enumerate(events):
        doc = document(event)
        stamp = {"ingested_at": int(time.time() * 1000), "ingest_seq": position % batch_size}
        doc.update({"_op_type": "create", "_index": index_name(prefix, event.timestamp), "_id": event.fingerprint})
        actions.append(doc | stamp)
    ok, _ = helpers.bulk(client, actions, chunk_size=batch_size, raise_on_error=True)
    elapsed = time.perf_counter() - began
    client.close()
    if ok != len(events):
        raise RuntimeError(f"helpers.bulk wrote {ok} of {len(events)}")
    return len(events) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = realistic_events(args.events)
    rates: dict[str, list[float]] = {"opensearch": [], "helpers_bulk": [], "sqlite": []}
    client_cpu: list[float] = []  # this process's CPU per event written through OpenSearchStore
    with tempfile.TemporaryDirectory() as tmp:
        server = start_osmem(Path(tmp) / "osmem")
        try:
            warm = OpenSearchStore(store_settings(server.url), read_lag=0)
            write_rate(warm, events[:1000])
            warm.close()
            for round_no in range(args.rounds):
                store = OpenSearchStore(store_settings(server.url), read_lag=0)
                cpu = time.process_time()
                rates["opensearch"].append(write_rate(store, events))
                client_cpu.append((time.process_time() - cpu) / len(events) * 1e6)
                store.close()
                rates["helpers_bulk"].append(helpers_bulk_rate(server.url, events))
                sqlite = SQLiteStore(SQLiteStoreSettings(path=str(Path(tmp) / f"logs{round_no}.db")))
                rates["sqlite"].append(write_rate(sqlite, events))
                sqlite.close()
        finally:
            server.stop()
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{args.events} events x {args.rounds} rounds, batches of 1000: {rates}", file=sys.stderr)
    headline = {
        "opensearch_write_events_per_s": round(median["opensearch"]),
        "opensearch_vs_helpers_bulk_ratio": round(median["opensearch"] / median["helpers_bulk"], 3),
        "opensearch_client_cpu_us_per_event": round(statistics.median(client_cpu), 1),
        "sqlite_write_events_per_s": round(median["sqlite"]),
    }
    print(" ".join(f"{key}={value}" for key, value in headline.items()))


if __name__ == "__main__":
    main()
