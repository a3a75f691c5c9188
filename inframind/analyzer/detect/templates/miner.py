"""The streaming template miner.

Lines are masked, split on whitespace and routed to a bucket by token count and first word (as Drain's prefix
tree does). In the bucket a line joins the template it agrees with best (see :mod:`.cluster` for the rules) and
the template generalizes where they disagree; otherwise it starts a template of its own. When a template
generalizes, any template it now agrees with everywhere is folded into it, which also heals early over-splits.

Everything is deterministic: the same lines in the same order give the same templates and ids in any process.
The exact-line cache is only a shortcut: an entry is trusted while no template in its bucket has changed since,
so answers never depend on what is cached (a restored or fresh miner answers the same as a long-running one).
"""

from __future__ import annotations

from collections import OrderedDict

from inframind.analyzer.detect.templates.cluster import Bucket, Cluster, bucket_of, merge_tokens
from inframind.analyzer.detect.templates.joins import Span
from inframind.analyzer.detect.templates.masking import Masked, Masker, shape_of
from inframind.analyzer.detect.templates.model import (
    Change,
    MatchResult,
    MinerConfig,
    MineResult,
    MinerStats,
    Template,
    wildcard_text,
)
from inframind.analyzer.detect.templates.tokens import generalize, params

_NONE: tuple[str, ...] = ()
Kept = tuple[tuple[int, str], ...]


def _same(raw: list[str], kept: Kept) -> bool:
    """Do the tokens that keep their own digits (``ssh2``) read the same in this line?"""
    return all(raw[at] == token for at, token in kept)


class TemplateMiner:
    """Mines templates from one stream (one tenant and source). Not thread-safe: one owner feeds it."""

    def __init__(self, config: MinerConfig | None = None, masker: Masker | None = None) -> None:
        self.config = config or MinerConfig()
        if masker is not None and masker.extra != dict(self.config.extra_masks):
            raise ValueError("the masker's extra masks differ from the miner config's extra_masks")
        self.masker = masker or Masker(self.config.extra_masks)
        self.clusters: OrderedDict[int, Cluster] = OrderedDict()
        """Live templates by internal key, least recently seen first (the LRU order)."""
        self.buckets: dict[Bucket, list[int]] = {}
        self.by_id: dict[str, int] = {}
        self.renames: OrderedDict[str, str] = OrderedDict()
        """Old template id -> the id that replaced it (bounded; oldest forgotten first)."""
        self.next_key = 0
        self.lines = self.evictions = self.created = self.updated = 0
        self.merges = 0
        self._generation: dict[Bucket, int] = {}
        self._exact: dict[tuple[str, ...], tuple[int, int, Bucket]] = {}
        self._by_shape: dict[bytes, tuple[int, int, Bucket, tuple[str, ...], list[Span] | None, Kept]] = {}
        self._shapes = self.masker.shapes
        self._step: list[str] = []

    # ------------------------------------------------------------------ learning

    def add(self, line: str) -> MineResult:
        """Learn from one message (its header already stripped) and say which template it belongs to."""
        self.lines += 1
        shape = None
        if self._shapes:  # a line of a recent digit shape: its template without masking again
            shape = shape_of(line)
            seen = self._by_shape.get(shape)
            if seen is not None and seen[1] == self._generation.get(seen[2], 0):
                key, _, _, tokens, spans, kept = seen
                cluster = self.clusters.get(key)
                if cluster is not None and (not kept or _same(line.split(), kept)):
                    cluster.size += 1
                    self.clusters.move_to_end(key)
                    masked = Masked(tokens, line, self.masker, spans, shape, kept)
                    return MineResult(cluster.tid, cluster.text, "none", _NONE, cluster.size, cluster.tokens, masked)
        masked = self.masker.mask(line, shape)
        hit = self._exact.get(masked.tokens)
        if hit is not None and hit[1] == self._generation.get(hit[2], 0):
            cluster = self.clusters.get(hit[0])
            if cluster is not None:
                cluster.size += 1
                self.clusters.move_to_end(cluster.key)
                self._remember(masked, cluster.key, hit[1], hit[2])
                return MineResult(cluster.tid, cluster.text, "none", _NONE, cluster.size, cluster.tokens, masked)
        return self._learn(masked)

    def _remember(self, masked: Masked, key: int, generation: int, bucket: Bucket) -> None:
        """Cache the answer for these tokens (and this digit shape); trusted while the bucket's generation holds."""
        if len(self._exact) >= self.config.exact_cache_size:
            self._exact.clear()
            self._by_shape.clear()
            self._generation = {b: g for b, g in self._generation.items() if b in self.buckets}
        self._exact[masked.tokens] = (key, generation, bucket)
        if masked.shape is not None:
            self._by_shape[masked.shape] = (key, generation, bucket, masked.tokens, masked.spans, masked.kept)

    def _learn(self, masked: Masked) -> MineResult:
        toks = masked.tokens
        bucket = bucket_of(toks)
        cluster = self._best(bucket, toks)
        change: Change = "none"
        old: tuple[str, ...] = _NONE
        if cluster is None:
            cluster = self._create(toks, bucket)
            change = "created"
        else:
            merged = tuple(generalize(t, s) for t, s in zip(cluster.tokens, toks, strict=True))
            if merged != cluster.tokens:
                self._step.clear()
                cluster = self._retemplate(cluster, merged)
                change = "updated"
                old = tuple(dict.fromkeys(t for t in self._step if t != cluster.tid))
        cluster.size += 1
        self.clusters.move_to_end(cluster.key)
        self._remember(masked, cluster.key, self._generation.get(bucket, 0), bucket)
        return MineResult(cluster.tid, cluster.text, change, old, cluster.size, cluster.tokens, masked)

    def _best(self, bucket: Bucket, toks: tuple[str, ...]) -> Cluster | None:
        best: Cluster | None = None
        best_rank: tuple[float, int, int, int] | None = None
        for key in self.buckets.get(bucket, ()):
            cluster = self.clusters[key]
            score = cluster.score(toks, self.config.word_ratio, self.config.similarity)
            if score is None:
                continue
            rank = (score[0], score[1], cluster.size, -key)
            if best_rank is None or rank > best_rank:
                best, best_rank = cluster, rank
        return best

    def _create(self, toks: tuple[str, ...], bucket: Bucket) -> Cluster:
        cluster = Cluster(self.next_key, toks, 0, [bucket])
        self.next_key += 1
        self.created += 1
        self.clusters[cluster.key] = cluster
        self.by_id[cluster.tid] = cluster.key
        self.buckets.setdefault(bucket, []).append(cluster.key)
        self._evict()
        return cluster

    def _changed(self, cluster: Cluster) -> None:
        for bucket in cluster.buckets:
            self._generation[bucket] = self._generation.get(bucket, 0) + 1

    def _retemplate(self, cluster: Cluster, tokens: tuple[str, ...]) -> Cluster:
        """Give ``cluster`` new tokens, then fold in every template it now agrees with."""
        return self._fold(self._set_tokens(cluster, tokens))

    def _set_tokens(self, cluster: Cluster, tokens: tuple[str, ...]) -> Cluster:
        """New tokens (so a new id, the old one renamed); a template that already has that text joins it."""
        self.updated += 1
        old = cluster.tid
        if self.by_id.get(old) == cluster.key:
            del self.by_id[old]
        cluster.retemplate(tokens)
        self._rename(old, cluster.tid)
        self._changed(cluster)
        twin_key = self.by_id.get(cluster.tid)
        if twin_key is not None and twin_key != cluster.key:
            twin = self.clusters[twin_key]
            keep, drop = (twin, cluster) if twin.key < cluster.key else (cluster, twin)
            self.absorb(keep, drop)
            cluster = keep
        self.by_id[cluster.tid] = cluster.key
        return cluster

    def _fold(self, cluster: Cluster) -> Cluster:
        """Fold into ``cluster`` every template of its buckets it now agrees with everywhere (or the reverse).

        This is how an over-split heals: ``user=root`` held for many lines keeps ``user=admin`` out, but once the
        newcomer's template learns ``user=<*>`` from a third name, it takes the old one in.
        """
        while (found := self._agreeing(cluster)) is not None:
            other, merged = found
            bigger = (cluster.size, -cluster.key) >= (other.size, -other.key)
            keep, drop = (cluster, other) if bigger else (other, cluster)
            self.absorb(keep, drop)
            cluster = keep if merged == keep.tokens else self._set_tokens(keep, merged)
        return cluster

    def _agreeing(self, cluster: Cluster) -> tuple[Cluster, tuple[str, ...]] | None:
        """The first other template in ``cluster``'s buckets that agrees with it everywhere, and their union."""
        for bucket in cluster.buckets:
            for key in self.buckets.get(bucket, ()):
                other = self.clusters[key]
                if other is not cluster and len(other.tokens) == len(cluster.tokens):
                    merged = merge_tokens(cluster.tokens, other.tokens)
                    if merged is not None:
                        return other, merged
        return None

    def absorb(self, keep: Cluster, drop: Cluster) -> None:
        """Fold ``drop`` into ``keep``: sizes add, ``drop``'s routes lead to ``keep``, its id is renamed."""
        self.merges += 1
        keep.size += drop.size
        for bucket in drop.buckets:
            self._unroute(drop.key, bucket)
            self._route(keep, bucket)
        self._changed(keep)
        del self.clusters[drop.key]
        if self.by_id.get(drop.tid) == drop.key:
            del self.by_id[drop.tid]
        self._rename(drop.tid, keep.tid)
        self.by_id[keep.tid] = keep.key

    def _rename(self, old: str, new: str) -> None:
        if old == new:
            return
        self._step.append(old)
        self.renames[old] = new
        self.renames.move_to_end(old)
        while len(self.renames) > 4 * self.config.max_clusters:
            self.renames.popitem(last=False)

    def _route(self, cluster: Cluster, bucket: Bucket) -> None:
        if bucket not in cluster.buckets:
            cluster.buckets.append(bucket)
            self.buckets.setdefault(bucket, []).append(cluster.key)

    def _unroute(self, key: int, bucket: Bucket) -> None:
        keys = self.buckets[bucket]
        keys.remove(key)
        if not keys:
            del self.buckets[bucket]

    def _evict(self) -> None:
        while len(self.clusters) > self.config.max_clusters:
            _, cluster = self.clusters.popitem(last=False)
            for bucket in cluster.buckets:
                self._unroute(cluster.key, bucket)
            if self.by_id.get(cluster.tid) == cluster.key:
                del self.by_id[cluster.tid]
            self.evictions += 1

    # ------------------------------------------------------------------ reading

    def match(self, line: str) -> MatchResult | None:
        """The known template that covers ``line`` as it is, with its parameters. Never changes what the miner
        knows: no template, count, LRU position or cached answer moves (the shared masker may remember the
        tokens it masked, which changes no answer)."""
        masked = self.masker.mask(line)
        toks = masked.tokens
        best: Cluster | None = None
        for key in self.buckets.get(bucket_of(toks), ()):
            cluster = self.clusters[key]
            if cluster.covers(toks) and (best is None or (-cluster.wildcards, -key) > (-best.wildcards, -best.key)):
                best = cluster
        if best is None:
            return None
        return MatchResult(best.tid, best.text, params(best.tokens, toks, masked.values))

    def resolve(self, tid: str) -> str:
        """The current id of a template once known as ``tid`` (follows generalizations and merges)."""
        for _ in range(len(self.renames) + 1):
            if tid in self.by_id or tid not in self.renames:
                return tid
            tid = self.renames[tid]
        return tid

    def templates(self) -> list[Template]:
        """Every live template, most frequent first."""
        out = [Template(c.tid, c.text, c.size, wildcard_text(c.tokens)) for c in self.clusters.values()]
        out.sort(key=lambda t: (-t.size, t.text))
        return out

    @property
    def revision(self) -> int:
        """Grows whenever the set of templates changes (new, generalized, merged, evicted): snapshot on change."""
        return self.created + self.updated + self.merges + self.evictions

    @property
    def stats(self) -> MinerStats:
        return MinerStats(self.lines, len(self.clusters), self.evictions, self.created, self.updated, self.merges)
