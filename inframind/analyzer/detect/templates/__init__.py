"""Log template mining: turn a stream of messages into templates with stable ids and typed parameters.

Pure code (no files, sockets or clock). The interface detectors and log rules build on::

    from inframind.analyzer.detect.templates import MinerSet, header_format

    miners = MinerSet()                                  # one miner per (tenant, source), shared masks
    r = miners.add_event(event)                          # or miners.add(tenant, source, message)
    r.template_id    # '3f0c9a1be2d45c70': sha256 of r.template, the same in every process and after restarts
    r.template       # 'Failed password for <*> from <IP> port <NUM> ssh2' (masks by name, <*> learned)
    r.wildcard_template  # 'Failed password for <*> from <*> port <*> ssh2' (what log rules match)
    r.change         # 'created' (a new template: the "new class of error" signal), 'updated' or 'none'
    r.changed_from   # ids this template replaced now: re-key per-template state (rates, baselines) to r.template_id
    r.params         # (Param('*', 'root'), Param('IP', '10.0.0.1'), Param('NUM', '22'))
    miner = miners.miner(tenant, source)
    miner.match(message)     # read-only: the covering template and params, or None; never learns
    miner.resolve(old_id)    # current id for any id once seen (follows generalizations and merges)
    miner.templates()        # [Template(template_id, text, size, wildcard_text)], most frequent first
    miner.stats              # lines, clusters, evictions (LRU bound), created, updated, merges
    miner.revision           # grows when templates change: snapshot on change

Following renames: a template's id is a hash of its text, so when a template generalizes (a token becomes a
wildcard) or two templates merge, the surviving template has a new id. The ``add`` that caused it reports every
retired id in ``changed_from``; keep a forward map ``old -> new`` (or call ``resolve``) for ids stored earlier.

State: ``state.snapshot(miner)`` / ``state.restore(data)`` and ``MinerSet.snapshot()`` / ``MinerSet.restore()``
give plain JSON; restoring and continuing gives the same results as never stopping. Memory is bounded by
``MinerConfig.max_clusters`` per miner (least recently seen templates are evicted and counted).

Many sources: ``MinerSet.mine_batches({(tenant, source): lines}, executor)`` (or the stateless
``parallel.mine_batches``) mines each source's batch on an injected executor (a process pool) when there is
enough work; results equal the in-process ones.

Headers: ``header_format("syslog" | "journald" | "eventlog" | "raw" | "loghub:<Date> <Time> ... <Content>")
.parse(line).content`` is a file line's message. ``LogEvent.message`` is already the message for every source.
"""

from inframind.analyzer.detect.templates.headers import Header, HeaderFormat, header_format, loghub_format
from inframind.analyzer.detect.templates.masking import Masked, Masker
from inframind.analyzer.detect.templates.miner import TemplateMiner
from inframind.analyzer.detect.templates.minerset import MinerSet, SourceKey
from inframind.analyzer.detect.templates.model import (
    MatchResult,
    MinerConfig,
    MineResult,
    MinerStats,
    Template,
    template_id,
)
from inframind.analyzer.detect.templates.parallel import BatchResult, LineResult, mine_batches
from inframind.analyzer.detect.templates.state import MinerState, restore, snapshot
from inframind.analyzer.detect.templates.tokens import Param

__all__ = [
    "BatchResult",
    "Header",
    "HeaderFormat",
    "LineResult",
    "Masked",
    "Masker",
    "MatchResult",
    "MineResult",
    "MinerConfig",
    "MinerSet",
    "MinerState",
    "MinerStats",
    "Param",
    "SourceKey",
    "Template",
    "TemplateMiner",
    "header_format",
    "loghub_format",
    "mine_batches",
    "restore",
    "snapshot",
    "template_id",
]
