"""Shards: which replica analyzes which asset.

An asset belongs to shard ``sha256("tenant/asset") mod N`` (N = ``analyzer.replicas.shards``, the same on every
replica): stable across restarts, processes and Python versions, unlike ``hash()``. Shards, not assets, are
handed to replicas, because a shard carries its detectors' state (cursor, miners, anomaly detectors) in the
state store under its own prefix: whoever takes a shard over resumes exactly where the last owner committed.

Shards go to the *live* replicas (heartbeat rows in the state store) by rendezvous hashing with bounded load:
each shard ranks the replicas by ``sha256("replica/shard")`` and takes the best-ranked one that holds fewer than
``ceil(N / replicas)``. Every replica computes the same answer from the same member list; a replica that dies
drops out of the list when its heartbeat expires, and its shards go to the survivors.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def shard_of(tenant: str, asset: str, shards: int) -> int:
    """The shard of ``asset`` of ``tenant`` among ``shards``."""
    return _h64(f"{tenant}/{asset}") % shards if shards > 1 else 0


@dataclass(frozen=True)
class Shard:
    """One shard of ``count``, as a loop cycle sees it; ``token`` is the fencing token of its lease."""

    index: int = 0
    count: int = 1
    token: int | None = None

    def owns(self, tenant: str | None, asset: str) -> bool:
        return self.count == 1 or shard_of(tenant or "default", asset, self.count) == self.index

    @property
    def lease_name(self) -> str:
        return f"shard/{self.index}of{self.count}"

    @property
    def prefix(self) -> str:
        """Key prefix of this shard's loop state: none with one shard (the single-node layout, unchanged)."""
        return "" if self.count == 1 else f"shard/{self.index}of{self.count}/"


EVERYTHING = Shard()
"""All assets: what leader-only and unsharded tasks are given."""


def assign(shards: int, replicas: Sequence[str]) -> dict[int, str]:
    """Shard index -> replica: rendezvous hashing with bounded load (see the module docstring)."""
    members = sorted(set(replicas))
    if not members:
        return {}
    cap = math.ceil(shards / len(members))
    load: Counter[str] = Counter()
    owners: dict[int, str] = {}
    for index in range(shards):
        ranked = sorted(members, key=lambda r: (_h64(f"{r}/{index}"), r), reverse=True)
        owner = next(r for r in ranked if load[r] < cap)
        load[owner] += 1
        owners[index] = owner
    return owners
