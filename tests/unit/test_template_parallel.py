"""Mining many sources on a process pool gives exactly what mining them in-process gives."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

import pytest

from inframind.analyzer.detect.templates import MinerSet, mine_batches, snapshot
from tests.unit.test_template_state import stream


class RefusingExecutor(Executor):
    """Fails the test if anything is submitted: small calls must stay in-process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise AssertionError("a small batch was sent to the executor")


@pytest.fixture(scope="module")
def pool() -> Any:
    with ProcessPoolExecutor(2) as executor:
        yield executor


def test_mine_batches_on_a_pool_equals_the_sequential_result(pool: ProcessPoolExecutor) -> None:
    batches = {("t1", f"source{i}"): stream(i, 300) for i in range(4)}
    sequential = mine_batches(batches, with_params=True)
    parallel = mine_batches(batches, executor=pool, min_parallel_lines=0, with_params=True)
    assert list(parallel) == list(batches)
    for key in batches:
        assert parallel[key].lines == sequential[key].lines
        assert parallel[key].templates == sequential[key].templates
        assert parallel[key].state == sequential[key].state
    # the next call continues from the returned states, the same way on both paths
    states = {key: result.state for key, result in parallel.items() if result.state is not None}
    more = {key: stream(100 + i, 200) for i, key in enumerate(batches)}
    again_seq = mine_batches(more, states)
    again_par = mine_batches(more, states, executor=pool, min_parallel_lines=0)
    assert all(again_par[k].lines == again_seq[k].lines for k in more)


def test_miner_set_batches_move_its_miners_on_either_path(pool: ProcessPoolExecutor) -> None:
    local, remote = MinerSet(), MinerSet()
    for miners in (local, remote):
        miners.add("t", "a", "warm up line 1")
    first = {("t", "a"): stream(1, 250), ("t", "b"): stream(2, 250)}
    done_local = local.mine_batches(first)
    done_remote = remote.mine_batches(first, pool, min_parallel_lines=0)
    assert all(done_local[k].lines == done_remote[k].lines for k in first)
    for key in first:
        assert snapshot(local.miner(*key)) == snapshot(remote.miner(*key))
    line = "Failed password for root from 10.0.0.1 port 22 ssh2"
    assert local.add("t", "a", line).template_id == remote.add("t", "a", line).template_id


def test_small_calls_never_reach_the_executor() -> None:
    batches = {("t", "a"): stream(5, 50), ("t", "b"): stream(6, 50)}
    result = mine_batches(batches, executor=RefusingExecutor(), min_parallel_lines=1000)
    assert sum(len(r.lines) for r in result.values()) == 100
    assert MinerSet().mine_batches(batches, RefusingExecutor(), min_parallel_lines=1000).keys() == batches.keys()
