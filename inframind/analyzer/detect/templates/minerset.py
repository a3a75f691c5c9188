"""One miner per (tenant, source): templates of one stream never mix with another's.

A source is whatever stream the caller keys by: ``LogEvent.source`` by default (``syslog``, ``eventlog`` ...), or
a finer name such as ``eventlog:System`` or ``file:/var/log/messages``. All miners share one masker (one token
cache). The set is plain state: snapshot it as JSON, restore it anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from inframind.analyzer.detect.templates.masking import Masker
from inframind.analyzer.detect.templates.miner import TemplateMiner
from inframind.analyzer.detect.templates.model import MinerConfig, MineResult
from inframind.analyzer.detect.templates.parallel import MIN_PARALLEL_LINES, BatchResult, Outcomes, mine_batches
from inframind.analyzer.detect.templates.state import config_from_dict, restore, snapshot
from inframind.events import LogEvent

SourceKey = tuple[str, str]
"""(tenant, source)."""
FORMAT = "inframind.templateset/1"


class MinerSet:
    """Miners keyed by (tenant, source), created on first use with one shared configuration."""

    def __init__(self, config: MinerConfig | None = None) -> None:
        self.config = config or MinerConfig()
        self.masker = Masker(self.config.extra_masks)
        self._miners: dict[SourceKey, TemplateMiner] = {}

    def miner(self, tenant: str, source: str) -> TemplateMiner:
        key = (tenant, source)
        found = self._miners.get(key)
        if found is None:
            found = self._miners[key] = TemplateMiner(self.config, self.masker)
        return found

    def add(self, tenant: str, source: str, message: str) -> MineResult:
        return self.miner(tenant, source).add(message)

    def add_event(self, event: LogEvent, source: str | None = None) -> MineResult:
        """Mine ``event.message`` in the miner of its tenant and ``source`` (default ``event.source``)."""
        return self.add(event.tenant, source or event.source, event.message)

    def __iter__(self) -> Iterator[SourceKey]:
        return iter(self._miners)

    def __len__(self) -> int:
        return len(self._miners)

    def mine_batches(
        self,
        batches: Mapping[SourceKey, Sequence[str]],
        executor: Executor | None = None,
        *,
        min_parallel_lines: int = MIN_PARALLEL_LINES,
        with_params: bool = False,
    ) -> dict[SourceKey, BatchResult]:
        """Mine a batch per source, in parallel on ``executor`` when worth it; the set's miners move on either way.

        In-process the live miners are fed directly; in parallel their states travel to the workers and the new
        states come back. The outcomes are the same (a restored miner continues exactly as the original).
        """
        total = sum(len(lines) for lines in batches.values())
        if executor is None or len(batches) < 2 or total < min_parallel_lines:
            out = {}
            for key, lines in batches.items():
                miner = self.miner(*key)
                outcomes = Outcomes.collect(miner, lines, with_params)
                out[key] = BatchResult(outcomes, tuple(miner.templates()), miner.stats, None)
            return out
        states = {key: snapshot(self._miners[key]) for key in batches if key in self._miners}
        results = mine_batches(
            batches,
            states,
            config=self.config,
            executor=executor,
            min_parallel_lines=min_parallel_lines,
            with_params=with_params,
        )
        for key, result in results.items():
            if result.state is not None:
                self._miners[key] = restore(result.state, self.masker)
        return results

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "config": self.config.to_dict(),
            "miners": [
                {"tenant": tenant, "source": source, "state": snapshot(miner)}
                for (tenant, source), miner in self._miners.items()
            ],
        }

    @classmethod
    def restore(cls, state: Mapping[str, Any]) -> MinerSet:
        if state.get("format") != FORMAT:
            raise ValueError(f"miner set state: expected format {FORMAT!r}, got {state.get('format')!r}")
        out = cls(config_from_dict(dict(state["config"])))
        for i, item in enumerate(state["miners"]):
            try:
                key = (str(item["tenant"]), str(item["source"]))
                out._miners[key] = restore(item["state"], out.masker)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"miner set state: miners[{i}]: {exc}") from None
        return out
