"""Bytes to lines, multi-line joining and lag: the pure pieces of file tailing, offsets checked exactly."""

from __future__ import annotations

import re

from inframind.agent.files_lines import Joiner, LagTracker, Line, cut_at_char, decode_line, split_lines


def test_split_lines_keeps_offsets_and_leaves_a_partial_line() -> None:
    data = b"one\ntwo\r\nthr"
    lines, end = split_lines(data, 100, 10)
    assert lines == [(b"one", 100), (b"two\r", 104)]
    assert end == 109  # the partial "thr" waits for its newline


def test_split_lines_stops_at_max_lines() -> None:
    lines, end = split_lines(b"a\nb\nc\nd\n", 0, 2)
    assert [raw for raw, _ in lines] == [b"a", b"b"]
    assert end == 4


def test_decode_line_replaces_invalid_utf8_and_nul_and_drops_cr() -> None:
    line = decode_line(b"caf\xe9 \x00ok\r", 10, 20, 1000)
    assert line == Line("caf\ufffd \ufffdok", 10, 20, ("invalid_utf8_replaced", "nul_replaced"))


def test_decode_line_cuts_at_a_character_boundary() -> None:
    text = "Ошибка диска"  # two bytes per Cyrillic letter
    raw = text.encode()
    line = decode_line(raw, 0, len(raw) + 1, 5)
    assert line.text == "Ош"  # 4 bytes: the third letter would be cut in half at 5
    assert line.flags == ("truncated",)


def test_cut_at_char_never_splits_a_four_byte_character() -> None:
    raw = "a😀b".encode()  # 1 + 4 + 1 bytes
    assert [cut_at_char(raw, n) for n in range(1, 7)] == [b"a", b"a", b"a", b"a", "a😀".encode(), raw]


def feed(joiner: Joiner, texts: list[str], start: int = 0, now: float = 0.0) -> list[Line]:
    out: list[Line] = []
    offset = start
    for text in texts:
        size = len(text.encode()) + 1
        out.extend(joiner.push(Line(text, offset, offset + size), now))
        offset += size
    return out


def test_joiner_groups_continuations_and_holds_the_checkpoint_at_the_pending_start() -> None:
    joiner = Joiner(re.compile(r"^\d{4}-"), max_lines=50, max_bytes=1 << 20)
    done = feed(joiner, ["2026-01-01 boom", "  at a()", "  at b()", "2026-01-01 next"])
    assert [(line.text, line.start, line.end) for line in done] == [("2026-01-01 boom\n  at a()\n  at b()", 0, 34)]
    assert joiner.pending_start == 34
    flushed = joiner.flush()
    assert flushed is not None and (flushed.text, flushed.start) == ("2026-01-01 next", 34)
    assert joiner.pending_start is None


def test_joiner_keeps_a_file_that_opens_mid_trace_and_caps_lines() -> None:
    joiner = Joiner(re.compile(r"^START"), max_lines=3, max_bytes=1 << 20)
    done = feed(joiner, ["  orphan", "  more", "  even more", "START x"])
    assert [line.text for line in done] == ["  orphan\n  more\n  even more"]


def test_joiner_flushes_when_quiet_and_cuts_joined_text_at_max_bytes() -> None:
    joiner = Joiner(re.compile(r"^S"), max_lines=100, max_bytes=10)
    feed(joiner, ["S 123456", "789012345"], now=5.0)
    assert not joiner.due(6.0, 2.0)
    assert joiner.due(7.0, 2.0)
    flushed = joiner.flush()
    assert flushed is not None
    assert (flushed.text, flushed.flags) == ("S 123456\n7", ("truncated",))


def test_lag_is_the_age_of_the_oldest_unread_growth() -> None:
    lag = LagTracker()
    lag.observe(100, 0, 10.0)
    lag.observe(100, 0, 11.0)  # no growth: the first sighting counts
    lag.observe(250, 0, 12.0)
    assert lag.lag(15.0) == 5.0
    lag.consumed(100)
    assert lag.lag(15.0) == 3.0  # bytes 100..250 were first seen at 12
    lag.consumed(250)
    assert (lag.lag(15.0), lag.behind()) == (0.0, False)


def test_an_idle_file_read_to_its_end_has_no_lag() -> None:
    lag = LagTracker()
    lag.observe(300, 300, 10.0)  # looked at, nothing new
    lag.observe(300, 300, 50.0)
    assert (lag.lag(60.0), lag.behind()) == (0.0, False)
    lag.observe(400, 300, 61.0)
    assert lag.lag(62.0) == 1.0
