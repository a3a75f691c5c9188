"""The syslog receiver on real sockets on 127.0.0.1, UDP and TCP (newline and octet-counted), fed by Python sockets,
util-linux ``logger`` and rsyslog forwarding; bad input is counted, never fatal. TLS: test_syslog_tls.py; stalls,
drops and lifecycle: test_syslog_lifecycle.py."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from inframind.config.agent import SyslogSource
from inframind.schema import HostPort
from tests.helpers.syslog import (
    Rsyslog,
    Running,
    marker,
    octet_frame,
    run_logger,
    send_tcp,
    send_udp,
)

pytestmark = pytest.mark.integration

LOOPBACK = HostPort("127.0.0.1", 0)


@pytest.fixture(scope="module")
def plain() -> Iterator[Running]:
    running = Running(SyslogSource(udp=LOOPBACK, tcp=LOOPBACK))
    yield running
    running.receiver.close()


@pytest.fixture(scope="module")
def small() -> Iterator[Running]:
    """A receiver with a 1 KiB message limit."""
    running = Running(SyslogSource(udp=LOOPBACK, tcp=LOOPBACK, max_message_bytes=1024))
    yield running
    running.receiver.close()


# ---------------------------------------------------------------- UDP


def test_udp_from_python(plain: Running) -> None:
    m = marker()
    send_udp(
        plain.udp,
        f"<34>Nov 26 11:59:58 mymachine su[230]: {m} bsd".encode(),
        f'<165>1 2026-11-26T11:59:00Z bmc-07 ipmi 42 SEL [origin ip="10.0.100.7"] {m} 5424'.encode(),
        f"<187>94: gw1: *Nov 26 11:00:00.250: %LINK-3-UPDOWN: {m} cisco".encode(),
    )
    events = {e.message.rsplit(" ", 1)[1]: e for e in plain.collector.containing(m, 3)}
    assert (events["bsd"].host, events["bsd"].provider, events["bsd"].level) == ("mymachine", "su", "critical")
    assert (events["5424"].event_id, events["5424"].fields["sd.origin.ip"]) == ("SEL", "10.0.100.7")
    assert (events["cisco"].event_id, events["cisco"].fields["clock_unsynced"]) == ("LINK-3-UPDOWN", True)
    for event in events.values():
        assert (event.fields["sender"], event.fields["transport"], event.source) == ("127.0.0.1", "udp", "syslog")


def test_logger_udp_rfc5424(plain: Running) -> None:
    m = marker()
    before = dt.datetime.now(dt.UTC)
    run_logger(
        plain.udp,
        "--udp",
        "--rfc5424",
        "--msgid",
        "DISK",
        "--sd-id",
        "disk@32473",
        "--sd-param",
        'serial="Z1X2"',
        "-p",
        "local3.err",
        "-t",
        "smartd",
        message=f"{m} Cyrillic: сбой диска",
    )
    (event,) = plain.collector.containing(m)
    assert event.message == f"{m} Cyrillic: сбой диска"
    assert (event.level, event.fields["facility"], event.provider, event.event_id) == (
        "error",
        "local3",
        "smartd",
        "DISK",
    )
    assert event.fields["sd.disk@32473.serial"] == "Z1X2"
    assert event.fields["sd.timeQuality.tzKnown"] == "1"
    assert event.host == socket.gethostname()
    assert before - dt.timedelta(seconds=1) <= event.timestamp <= dt.datetime.now(dt.UTC)
    assert "clock_missing" not in event.fields


def test_logger_udp_rfc3164(plain: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")  # BSD stamps carry no zone: the receiver is configured for UTC
    m = marker()
    run_logger(plain.udp, "--udp", "--rfc3164", "-p", "daemon.warning", "-t", "app", message=m)
    (event,) = plain.collector.containing(m)
    assert (event.level, event.fields["facility"], event.provider, event.message) == ("warning", "daemon", "app", m)
    assert abs((dt.datetime.now(dt.UTC) - event.timestamp).total_seconds()) < 5
    assert not {"clock_missing", "clock_skew", "malformed"} & set(event.fields)


def test_udp_bad_input_is_counted(plain: Running) -> None:
    m = marker()
    before = plain.stats
    send_udp(plain.udp, b"", f"no pri at all {m}".encode(), f"<13>Nov 26 11:59:58 h a: {m} ".encode() + b"\xff\xfe")
    events = plain.collector.containing(m, 2)
    assert {e.level for e in events} == {"notice"}
    plain.wait_stat("rejected", "empty", before.rejected.get("empty", 0) + 1)
    raw = next(e for e in events if e.message.startswith("no pri"))
    assert raw.fields["malformed"] is True
    replaced = next(e for e in events if "\ufffd" in e.message)
    assert replaced.fields["invalid_utf8_replaced"] is True


def test_udp_datagram_over_the_limit_is_truncated(small: Running) -> None:
    m = marker()
    send_udp(small.udp, f"<13>Nov 26 11:59:58 h app: {m} ".encode() + b"x" * 5000)
    (event,) = small.collector.containing(m)
    assert event.fields["truncated"] is True
    assert len(event.message) == 1024 - len("<13>Nov 26 11:59:58 h app: ")


# ---------------------------------------------------------------- TCP


def test_tcp_newline_framing_keeps_order(plain: Running) -> None:
    m = marker()
    lines = [f"<13>Nov 26 11:59:58 h app: {m} {i:04d}" for i in range(2000)]
    send_tcp(plain.tcp, ("\n".join(lines) + "\n").encode())
    events = plain.collector.containing(m, 2000)
    assert [e.message for e in events] == [line.split(": ", 1)[1] for line in lines]
    assert {e.fields["transport"] for e in events} == {"tcp"}


def test_tcp_octet_counting(plain: Running) -> None:
    m = marker()
    multi = f"<13>1 2026-11-26T11:00:00Z h app - - - {m} first line\nsecond line".encode()
    send_tcp(plain.tcp, octet_frame(multi) + octet_frame(f"<13>1 - h app - - - {m} next".encode()))
    events = plain.collector.containing(m, 2)
    assert [e.message for e in events] == [f"{m} first line\nsecond line", f"{m} next"]


@pytest.mark.parametrize("framing", [(), ("--octet-count",)])
def test_logger_tcp(plain: Running, framing: Sequence[str]) -> None:
    m = marker()
    run_logger(plain.tcp, "--tcp", *framing, "--rfc5424", "-t", "backup", message=f"{m} done")
    (event,) = plain.collector.containing(m)
    assert (event.provider, event.message, event.fields["transport"]) == ("backup", f"{m} done", "tcp")


def test_one_megabyte_line_is_truncated_and_the_connection_goes_on(plain: Running) -> None:
    m = marker()
    header = f"<13>Nov 26 11:59:58 h app: {m} "
    send_tcp(plain.tcp, header.encode() + b"y" * (3 << 19) + f"\n<13>Nov 26 11:59:58 h app: {m} after\n".encode())
    big, after = plain.collector.containing(m, 2)
    assert big.fields["truncated"] is True
    assert len(big.message) == (1 << 20) - len("<13>Nov 26 11:59:58 h app: ")
    assert after.message == f"{m} after" and "truncated" not in after.fields


def test_octet_frame_over_the_limit_closes_the_connection(small: Running) -> None:
    before = small.stats.rejected.get("frame_too_long", 0)
    with socket.create_connection(("127.0.0.1", small.tcp), timeout=10) as sock:
        sock.sendall(b"5000 <13>" + b"z" * 100)
        assert sock.recv(10) == b""  # closed by the receiver, cleanly (FIN, not a hang)
    small.wait_stat("rejected", "frame_too_long", before + 1)
    m = marker()
    send_tcp(small.tcp, octet_frame(f"<13>1 - h app - - - {m}".encode()))  # the listener still serves
    small.collector.containing(m)


def test_rsyslog_forwards_to_us_over_octet_counted_tcp(plain: Running, tmp_path: Path) -> None:
    rsyslog = Rsyslog(tmp_path / "rsyslog", forward_tcp=plain.tcp)
    try:
        m = marker()
        send_udp(rsyslog.port, f"<30>Nov 26 11:59:58 nas-02 zfs[99]: {m} pool tank degraded".encode())
        (event,) = plain.collector.containing(m, timeout=20)
    finally:
        rsyslog.stop()
    assert (event.host, event.provider, event.fields["procid"], event.level) == ("nas-02", "zfs", "99", "info")
    assert event.message == f"{m} pool tank degraded"
