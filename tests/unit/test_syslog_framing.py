"""RFC 6587 framing: octet counting and newline framing, detected per connection, over any chunking."""

from __future__ import annotations

import pytest

from inframind.agent.syslog.framing import Frame, FrameSplitter, FrameTooLong, MalformedFrame

MESSAGES = [b"<13>first", "<14>второе сообщение".encode(), b"<15>third with a   few  spaces", b"<13>x" * 40]


def octets(*messages: bytes) -> bytes:
    return b"".join(str(len(m)).encode() + b" " + m for m in messages)


def feed_in_pieces(splitter: FrameSplitter, stream: bytes, size: int) -> list[Frame]:
    frames: list[Frame] = []
    for i in range(0, len(stream), size):
        frames += splitter.feed(stream[i : i + size])
    return frames + splitter.finish()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_newline_framing_over_any_chunking(size: int) -> None:
    splitter = FrameSplitter(1024)
    frames = feed_in_pieces(splitter, b"\n".join(MESSAGES) + b"\n", size)
    assert [f.data for f in frames] == MESSAGES
    assert splitter.octet_counting is False


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_octet_counting_over_any_chunking(size: int) -> None:
    splitter = FrameSplitter(1024)
    frames = feed_in_pieces(splitter, octets(*MESSAGES), size)
    assert [f.data for f in frames] == MESSAGES
    assert splitter.octet_counting is True


def test_octet_frames_may_hold_newlines_and_be_separated_by_them() -> None:
    splitter = FrameSplitter(1024)
    stream = octets(b"<13>line one\nline two") + b"\n" + octets(b"<13>next")
    assert [f.data for f in splitter.feed(stream)] == [b"<13>line one\nline two", b"<13>next"]


def test_crlf_and_empty_lines() -> None:
    frames = FrameSplitter(1024).feed(b"<13>a\r\n\r\n\n<13>b\r\n")
    assert [f.data for f in frames] == [b"<13>a\r", b"<13>b\r"]  # the decoder strips the CR; blank lines vanish


def test_framing_is_chosen_once_per_connection() -> None:
    """A newline-framed connection whose later line starts with digits is not read as octet counting."""
    splitter = FrameSplitter(1024)
    frames = splitter.feed(b"<13>first\n2024 is not a length\n")
    assert [f.data for f in frames] == [b"<13>first", b"2024 is not a length"]


def test_leading_newlines_do_not_decide_the_framing() -> None:
    splitter = FrameSplitter(1024)
    assert splitter.feed(b"\r\n") == []
    assert splitter.octet_counting is None
    assert [f.data for f in splitter.feed(octets(b"<13>x"))] == [b"<13>x"]


def test_last_line_without_newline_counts_at_end_of_stream() -> None:
    splitter = FrameSplitter(1024)
    assert splitter.feed(b"<13>a\n<13>b") == [Frame(b"<13>a")]
    assert splitter.finish() == [Frame(b"<13>b")]


def test_incomplete_octet_frame_at_end_of_stream_is_dropped() -> None:
    splitter = FrameSplitter(1024)
    assert splitter.feed(b"20 <13>short") == []
    assert splitter.finish() == []


def test_long_line_is_cut_and_its_rest_discarded() -> None:
    splitter = FrameSplitter(10)
    stream = b"<13>" + b"a" * 30 + b"\n<13>after\n"
    frames = feed_in_pieces(splitter, stream, 4)
    assert frames == [Frame(b"<13>aaaaaa", truncated=True), Frame(b"<13>after")]


def test_long_line_in_one_chunk_is_cut() -> None:
    frames = FrameSplitter(10).feed(b"<13>" + b"a" * 30 + b"\n<13>ok\n")
    assert frames == [Frame(b"<13>aaaaaa", truncated=True), Frame(b"<13>ok")]


def test_long_unterminated_line_is_cut_once() -> None:
    splitter = FrameSplitter(10)
    frames = feed_in_pieces(splitter, b"<13>" + b"b" * 100, 5)
    assert frames == [Frame(b"<13>bbbbbb", truncated=True)]


def test_octet_count_over_the_limit_raises() -> None:
    with pytest.raises(FrameTooLong) as caught:
        FrameSplitter(100).feed(b"101 " + b"x" * 101)
    assert caught.value.length == 101


def test_octet_count_up_to_the_limit_passes() -> None:
    assert FrameSplitter(100).feed(octets(b"y" * 100)) == [Frame(b"y" * 100)]


@pytest.mark.parametrize("stream", [b"12x <13>abc", b"12345678901 x", b"5 <13>a" + b"garbage"])
def test_broken_octet_stream_raises(stream: bytes) -> None:
    with pytest.raises(MalformedFrame):
        FrameSplitter(1024).feed(stream)


def test_split_count_waits_for_more() -> None:
    splitter = FrameSplitter(1024)
    assert splitter.feed(b"1") == []
    assert splitter.feed(b"0") == []
    assert splitter.feed(b" <13>abcdef") == [Frame(b"<13>abcdef")]
