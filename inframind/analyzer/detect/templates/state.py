"""Miner state as plain JSON of our own types (no pickle): snapshot, restore, and carry between processes.

What is kept: the configuration, every live template (tokens, size, since-when each position held, routes) in LRU
order, the bucket routing in order, the rename map and the counters. What is not: the masker's token cache and
the exact-line cache, which only speed things up and never change an answer, so a restored miner continues
exactly as the original would have. Tokens keep the private-use placeholder characters (JSON escapes them).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from inframind.analyzer.detect.templates.cluster import Cluster
from inframind.analyzer.detect.templates.masking import Masker
from inframind.analyzer.detect.templates.miner import TemplateMiner
from inframind.analyzer.detect.templates.model import MinerConfig

FORMAT = "inframind.templates/1"
MinerState = dict[str, Any]
"""A snapshot: JSON-ready (``json.dumps`` works on it as is) and picklable, for files, SQL rows and workers."""


def config_from_dict(data: dict[str, Any]) -> MinerConfig:
    known = {"similarity", "word_ratio", "max_clusters", "extra_masks", "exact_cache_size"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"miner state: unknown config field(s) {', '.join(sorted(unknown))}")
    return MinerConfig(**data)


def snapshot(miner: TemplateMiner) -> MinerState:
    """Everything needed to continue mining elsewhere or later, as plain data."""
    return {
        "format": FORMAT,
        "config": miner.config.to_dict(),
        "next_key": miner.next_key,
        "counters": {
            "lines": miner.lines,
            "evictions": miner.evictions,
            "created": miner.created,
            "updated": miner.updated,
            "merges": miner.merges,
        },
        "clusters": [
            {
                "key": c.key,
                "tokens": list(c.tokens),
                "size": c.size,
                "since": list(c.since),
                "buckets": [[n, head] for n, head in c.buckets],
            }
            for c in miner.clusters.values()
        ],
        "buckets": [[n, head, list(keys)] for (n, head), keys in sorted(miner.buckets.items())],
        "renames": [[old, new] for old, new in miner.renames.items()],
    }


def restore(state: MinerState, masker: Masker | None = None) -> TemplateMiner:
    """A miner that continues exactly where ``snapshot`` left off. Errors name the part of the state that is wrong."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"miner state: expected format {FORMAT!r}, got {found!r}")
    try:
        config = config_from_dict(dict(state["config"]))
        miner = TemplateMiner(config, masker)
        miner.next_key = int(state["next_key"])
        counters = state["counters"]
        miner.lines = int(counters["lines"])
        miner.evictions = int(counters["evictions"])
        miner.created = int(counters["created"])
        miner.updated = int(counters["updated"])
        miner.merges = int(counters["merges"])
        clusters: OrderedDict[int, Cluster] = OrderedDict()
        for i, item in enumerate(state["clusters"]):
            tokens = tuple(str(t) for t in item["tokens"])
            since = [int(x) for x in item["since"]]
            if len(since) != len(tokens):
                raise ValueError(f"clusters[{i}]: since has {len(since)} entries for {len(tokens)} tokens")
            buckets = [(int(n), str(head)) for n, head in item["buckets"]]
            cluster = Cluster(int(item["key"]), tokens, int(item["size"]), buckets, since)
            clusters[cluster.key] = cluster
        miner.clusters = clusters
        miner.by_id = {c.tid: c.key for c in clusters.values()}
        miner.buckets = {(int(n), str(head)): [int(k) for k in keys] for n, head, keys in state["buckets"]}
        for bucket, keys in miner.buckets.items():
            for key in keys:
                if key not in clusters:
                    raise ValueError(f"buckets: {list(bucket)} routes to unknown cluster {key}")
        miner.renames = OrderedDict((str(old), str(new)) for old, new in state["renames"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"miner state: missing or malformed field {exc}") from None
    return miner


def dumps(miner: TemplateMiner) -> str:
    """The snapshot as JSON text (sorted keys, so equal states give equal text)."""
    return json.dumps(snapshot(miner), sort_keys=True, separators=(",", ":"))


def loads(text: str, masker: Masker | None = None) -> TemplateMiner:
    return restore(json.loads(text), masker)
