"""The benchmark's evaluator (bench/log_templates.py) on hand-made cases with known GA, PA, FGA and FTA."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "log_templates.py"


def _load() -> ModuleType:
    """bench/ is scripts, not a package: load the file itself (and register it, as dataclasses need)."""
    spec = importlib.util.spec_from_file_location("bench_log_templates", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


evaluate: Callable[[Sequence[str], Sequence[str]], Any] = _load().evaluate

TRUTH = ["A <*>", "A <*>", "B", "B", "C <*>"]


def scores(predicted: list[str]) -> tuple[float, float, float, float]:
    s = evaluate(TRUTH, predicted)
    return (round(s.ga, 4), round(s.pa, 4), round(s.fga, 4), round(s.fta, 4))


def test_perfect_parse() -> None:
    assert scores(list(TRUTH)) == (1.0, 1.0, 1.0, 1.0)


def test_right_groups_with_other_names_score_full_grouping_but_no_parsing() -> None:
    assert scores(["x", "x", "y", "y", "z"]) == (1.0, 0.0, 1.0, 0.0)


def test_over_split_group() -> None:
    # A's two lines split in two: A's lines are wrong; groups: 2 exact of 4 predicted, 3 true
    predicted = ["A 1", "A <*>", "B", "B", "C <*>"]
    p, r = 2 / 4, 2 / 3
    f1 = round(2 * p * r / (p + r), 4)
    assert scores(predicted) == (0.6, 0.8, f1, f1)


def test_under_merged_groups() -> None:
    # B and C merged into one predicted group: neither is exact
    predicted = ["A <*>", "A <*>", "B", "B", "B"]
    p, r = 1 / 2, 1 / 3
    f1 = round(2 * p * r / (p + r), 4)
    assert scores(predicted) == (0.4, 0.8, f1, f1)


def test_exact_group_with_wrong_text_counts_for_grouping_only() -> None:
    predicted = ["A <*>", "A <*>", "B <*>", "B <*>", "C <*>"]
    p = r = 2 / 3
    assert scores(predicted) == (1.0, 0.6, 1.0, round(2 * p * r / (p + r), 4))


def test_parsing_accuracy_is_per_line_even_when_groups_are_wrong() -> None:
    # every template text is right, but the predictor put B's lines under C's label too: PA counts lines
    assert evaluate(["B", "B", "C"], ["B", "C", "C"]).pa == pytest.approx(2 / 3)
    assert evaluate(["B", "B", "C"], ["B", "C", "C"]).ga == 0.0


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="equal, non-empty"):
        evaluate(["a"], [])
