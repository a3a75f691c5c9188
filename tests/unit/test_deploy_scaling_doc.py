"""docs/scaling.md cites only measured figures: its table of figures matches bench/results/*.json key by key."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers.servers import REPO

DOC = REPO / "docs" / "scaling.md"
RESULTS = REPO / "bench" / "results"


def _rows() -> list[tuple[str, float, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Measured figures", 1)[1]
    rows = []
    for match in re.finditer(r"^\| ([^|]+) \| ([0-9.]+) \| (\w+\.json): ([\w.]+) \|$", table, flags=re.MULTILINE):
        rows.append((match.group(1).strip(), float(match.group(2)), match.group(3), match.group(4)))
    return rows


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def test_the_table_is_there() -> None:
    rows = _rows()
    assert len(rows) >= 20
    assert {file for _, _, file, _ in rows} == {
        "exporter.json", "snmp.json", "ipmi.json", "syslog.json", "logs.json", "analyzer_cycle.json",
    }  # fmt: skip


@pytest.mark.parametrize(("figure", "value", "file", "key"), _rows())
def test_figure_matches_its_result_file(figure: str, value: float, file: str, key: str) -> None:
    measured = _lookup(json.loads((RESULTS / file).read_text(encoding="utf-8")), key)
    assert float(measured) == pytest.approx(value), f"{figure}: doc {value}, {file} {key} = {measured}"


def test_prose_figures_come_from_the_table() -> None:
    """Bold figures in the text restate a table value (same digits, maybe rounded or in other units)."""
    text = DOC.read_text(encoding="utf-8").split("## Measured figures", 1)[0]
    values = {value for _, value, _, _ in _rows()}
    bold = [m for m in re.findall(r"\*\*([^*]+)\*\*", text) if re.search(r"\d", m)]
    assert bold
    for phrase in bold:
        number = float(re.search(r"\d[\d,]*(\.\d+)?", phrase).group(0).replace(",", ""))  # type: ignore[union-attr]
        scaled = {number, number / 1000, number * 1000}
        assert any(abs(v - s) <= 0.01 * max(abs(v), 1e-9) for v in values for s in scaled), phrase
