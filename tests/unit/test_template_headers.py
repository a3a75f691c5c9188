"""Header stripping per source format: the miner sees only the message."""

from __future__ import annotations

import pytest

from inframind.analyzer.detect.templates import header_format, loghub_format


def test_loghub_format_with_regex_literals_and_optional_parts() -> None:
    fmt = loghub_format(r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>")
    with_pid = fmt.parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown\n")
    assert with_pid.content == "check pass; user unknown"
    assert with_pid.fields["Component"] == "sshd(pam_unix)"
    assert with_pid.fields["PID"] == "19939"
    without = fmt.parse("Jun 15 04:06:18 combo su(pam_unix): session opened for user cyrus by (uid=0)")
    assert without.content == "session opened for user cyrus by (uid=0)"


def test_loghub_format_keeps_inner_spacing_of_the_content() -> None:
    fmt = loghub_format("<LogId> <Node> <Component> <State> <Time> <Flag> <Content>")
    header = fmt.parse("134681 node-246 unix.hw state_change.unavailable 1077804742 1 boot  (command 1910)")
    assert header.content == "boot  (command 1910)"


@pytest.mark.parametrize(
    ("line", "content", "host", "tag"),
    [
        ("Jun 14 15:16:01 combo sshd[19939]: Failed password for root", "Failed password for root", "combo", "sshd"),
        ("<34>Oct 11 22:14:15 mymachine su: 'su root' failed on /dev/pts/8", "'su root' failed on /dev/pts/8",
         "mymachine", "su"),
        ("2024-03-01T10:00:00.123+03:00 web01 nginx[881]: Ошибка соединения", "Ошибка соединения", "web01", "nginx"),
        ("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] "
         "An application event", "An application event", "mymachine.example.com", "evntslog"),
        ("<13>1 2024-03-01T10:00:00Z host app 42 - - plain message", "plain message", "host", "app"),
    ],
)  # fmt: skip
def test_syslog_files_rfc3164_and_rfc5424(line: str, content: str, host: str, tag: str) -> None:
    header = header_format("syslog").parse(line)
    assert header.content == content
    assert header.fields["Host"] == host
    assert header.fields["Tag"] == tag


def test_journald_short_output() -> None:
    header = header_format("journald").parse("Nov 26 02:32:11 node1 kernel: EXT4-fs error (device sda1)")
    assert header.content == "EXT4-fs error (device sda1)"


@pytest.mark.parametrize("name", ["raw", "eventlog"])
def test_message_formats_take_the_line_as_is(name: str) -> None:
    assert header_format(name).parse("  The disk sda has a bad block.  \r\n").content == "The disk sda has a bad block."


def test_a_line_that_does_not_fit_is_kept_whole() -> None:
    header = header_format("syslog").parse("not a syslog line at all")
    assert header.content == "not a syslog line at all"
    assert header.fields == {}


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("xml", "unknown log format 'xml'; use one of raw, syslog"),
        ("loghub:<Date> <Time>", "has no <Content> field"),
        ("loghub:<Content> <Content>", "repeats a field"),
        ("loghub:<Date> (<Content>", "not a valid pattern"),
    ],
)
def test_bad_formats_say_why(spec: str, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        header_format(spec)
