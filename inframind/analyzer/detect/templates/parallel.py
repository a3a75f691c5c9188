"""Mining many sources at once: one pure function per source batch, run in-process or on an injected executor.

One Python thread is the known ceiling of a template miner, and a fleet has hundreds of sources. Sources are
independent (each has its own miner), so batches of different sources run in parallel on whatever executor the
service layer hands in (a ``ProcessPoolExecutor``; this module starts nothing itself). A job carries the source's
miner state as plain data and returns the new state, so a worker needs nothing but its arguments, and the result
is the same as mining in-process: the parallel path is the sequential function, run elsewhere.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from inframind.analyzer.detect.templates.miner import TemplateMiner
from inframind.analyzer.detect.templates.model import MinerConfig, MinerStats, Template
from inframind.analyzer.detect.templates.state import MinerState, restore, snapshot
from inframind.analyzer.detect.templates.tokens import Param

K = TypeVar("K", bound=Hashable)

MIN_PARALLEL_LINES = 20_000
"""Below this many lines in a call, shipping states to workers costs more than it saves: mine in-process."""


class LineResult(NamedTuple):
    """One line's outcome as plain data (what crosses process boundaries)."""

    template_id: str
    template: str
    change: str
    changed_from: tuple[str, ...]
    params: tuple[Param, ...] | None
    """Filled when the batch asked ``with_params``; extraction costs about as much as mining, so it is opt-in."""


@dataclass(frozen=True)
class Outcomes:
    """Per-line outcomes packed for transport: each line is an index into the batch's distinct templates, and
    changes are listed apart (most lines change nothing), so a worker does not pickle a tuple per line."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    index: array[int]
    changes: tuple[tuple[int, str, tuple[str, ...]], ...]
    params: tuple[tuple[Param, ...], ...] | None

    @classmethod
    def collect(cls, miner: TemplateMiner, lines: Sequence[str], with_params: bool = False) -> Outcomes:
        """Feed ``lines`` to ``miner`` and keep what each one got."""
        slots: dict[str, int] = {}
        texts: list[str] = []
        index = array("I")
        changes = []
        params: list[tuple[Param, ...]] | None = [] if with_params else None
        for i, line in enumerate(lines):
            r = miner.add(line)
            slot = slots.get(r.template_id)
            if slot is None:
                slot = slots[r.template_id] = len(texts)
                texts.append(r.template)
            index.append(slot)
            if r.change != "none":
                changes.append((i, r.change, r.changed_from))
            if params is not None:
                params.append(r.params)
        return cls(tuple(slots), tuple(texts), index, tuple(changes), None if params is None else tuple(params))

    def lines(self) -> tuple[LineResult, ...]:
        changed = {i: (change, old) for i, change, old in self.changes}
        out = []
        for i, slot in enumerate(self.index):
            change, old = changed.get(i, ("none", ()))
            extracted = self.params[i] if self.params is not None else None
            out.append(LineResult(self.ids[slot], self.texts[slot], change, old, extracted))
        return tuple(out)


@dataclass(frozen=True)
class BatchResult:
    outcomes: Outcomes
    templates: tuple[Template, ...]
    stats: MinerStats
    state: MinerState | None
    """The miner's state after the batch (None when the miner stayed in the caller's process)."""

    @property
    def lines(self) -> tuple[LineResult, ...]:
        """One outcome per line of the batch, in order."""
        return self.outcomes.lines()


@dataclass(frozen=True)
class BatchJob:
    lines: tuple[str, ...]
    state: MinerState | None
    config: MinerConfig
    with_params: bool = False


def mine_batch(job: BatchJob) -> BatchResult:
    """Pure: restore (or start) the source's miner, mine the batch, return outcomes and the new state."""
    miner = restore(job.state) if job.state is not None else TemplateMiner(job.config)
    outcomes = Outcomes.collect(miner, job.lines, job.with_params)
    return BatchResult(outcomes, tuple(miner.templates()), miner.stats, snapshot(miner))


def mine_batches(
    batches: Mapping[K, Sequence[str]],
    states: Mapping[K, MinerState] | None = None,
    *,
    config: MinerConfig | None = None,
    executor: Executor | None = None,
    min_parallel_lines: int = MIN_PARALLEL_LINES,
    with_params: bool = False,
) -> dict[K, BatchResult]:
    """Mine one batch of lines per source; sources run in parallel on ``executor`` when there is enough work.

    ``states`` holds each source's miner state from the previous call (missing: a new miner with ``config``).
    The answer has the same keys in the same order, each with per-line outcomes, the source's templates and its
    new state to keep for the next call. Without an executor, or with fewer than two sources or
    ``min_parallel_lines`` lines in all, everything runs in the calling thread with the same results.
    """
    config = config or MinerConfig()
    states = states or {}
    jobs = {key: BatchJob(tuple(lines), states.get(key), config, with_params) for key, lines in batches.items()}
    total = sum(len(job.lines) for job in jobs.values())
    if executor is None or len(jobs) < 2 or total < min_parallel_lines:
        return {key: mine_batch(job) for key, job in jobs.items()}
    largest_first = sorted(jobs, key=lambda key: -len(jobs[key].lines))
    futures = {key: executor.submit(mine_batch, jobs[key]) for key in largest_first}
    return {key: futures[key].result() for key in jobs}
