"""Syslog header parsing: RFC 3164, RFC 5424 and what real devices send (napalm-logs and ntc-templates lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.agent.syslog.header import BSD_STAMP, ISO_STAMP, NO_STAMP, Header
from inframind.agent.syslog.parse import parse_header, split_pri
from tests.helpers.syslog import FIXTURES


def header(line: str) -> Header:
    split = split_pri(line)
    assert split is not None, line
    return parse_header(split[1])


# ---------------------------------------------------------------- PRI


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<0>x", (0, "x")),
        ("<13>Nov", (13, "Nov")),
        ("<191>", (191, "")),
        ("<013>a", (13, "a")),
        ("<192>x", None),
        ("<999>x", None),
        ("<>x", None),
        ("<1a>x", None),
        ("<-1>x", None),
        ("<١٣>x", None),  # Arabic-Indic digits are digits to str.isdigit, not to syslog
        ("<13", None),
        ("<1234>x", None),
        ("13>x", None),
        ("", None),
    ],
)
def test_pri(text: str, expected: tuple[int, str] | None) -> None:
    assert split_pri(text) == expected


# ---------------------------------------------------------------- RFC 3164


def test_bsd_with_host_tag_and_pid() -> None:
    h = header("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8")
    assert (h.stamp, h.stamp_kind, h.host, h.app, h.procid) == ("Oct 11 22:14:15", BSD_STAMP, "mymachine", "su", "230")
    assert h.message == "'su root' failed for lonvick on /dev/pts/8"


def test_bsd_without_host() -> None:
    h = header("<13>Feb  5 17:32:18 sshd[4242]: Accepted publickey for deploy")
    assert (h.host, h.app, h.procid, h.message) == ("", "sshd", "4242", "Accepted publickey for deploy")
    assert h.stamp == "Feb 5 17:32:18"


def test_bsd_without_tag_keeps_the_rest_as_message() -> None:
    h = header("<13>Feb  5 17:32:18 printer-3 paper jam in tray 2")
    assert (h.host, h.app, h.message) == ("printer-3", "", "paper jam in tray 2")


def test_bsd_with_iso_timestamp_rsyslog_high_precision() -> None:
    h = header("<30>2026-03-01T10:00:00.123456+03:00 web-01 nginx[77]: started")
    assert (h.stamp, h.stamp_kind) == ("2026-03-01T10:00:00.123456+03:00", ISO_STAMP)
    assert (h.host, h.app, h.procid, h.message) == ("web-01", "nginx", "77", "started")


def test_bsd_cyrillic_message() -> None:
    h = header("<14>Mar  1 09:00:00 хост-1 приложение[5]: диск заполнен на 95%")
    assert (h.host, h.app, h.message) == ("хост-1", "приложение", "диск заполнен на 95%")


def test_no_header_at_all() -> None:
    h = header("<13>just some words")
    assert (h.stamp_kind, h.host, h.app, h.message) == (NO_STAMP, "", "", "just some words")


def test_untimed_tag() -> None:
    h = header("<13>kernel: eth0 link down")
    assert (h.stamp_kind, h.app, h.message) == (NO_STAMP, "kernel", "eth0 link down")


# ---------------------------------------------------------------- RFC 5424


def test_rfc5424_example_with_structured_data_and_bom() -> None:
    line = (
        '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        'eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \ufeffAn application event'
    )
    h = header(line)
    assert (h.stamp, h.stamp_kind, h.host, h.app, h.procid, h.msgid) == (
        "2003-10-11T22:14:15.003Z",
        ISO_STAMP,
        "mymachine.example.com",
        "evntslog",
        "",
        "ID47",
    )
    assert h.event_id == "ID47"
    assert h.extra == {
        "sd.exampleSDID@32473.iut": "3",
        "sd.exampleSDID@32473.eventSource": "Application",
        "sd.exampleSDID@32473.eventID": "1011",
        "sd.examplePriority@32473.class": "high",
    }
    assert h.message == "An application event"
    assert not h.malformed_sd


def test_rfc5424_nil_values_and_no_message() -> None:
    h = header("<13>1 - - - - - -")
    assert (h.stamp_kind, h.host, h.app, h.procid, h.msgid, h.message, h.extra) == (NO_STAMP, "", "", "", "", "", {})


def test_rfc5424_escapes_repeats_and_empty_element() -> None:
    h = header(r'<13>1 2026-01-01T00:00:00Z h a 1 m [x@1 p="a \"quoted\" \] \\ value" p="second"][meta] msg')
    assert h.extra == {"sd.x@1.p": 'a "quoted" ] \\ value', "sd.x@1.p#2": "second", "sd.meta": True}
    assert h.message == "msg"


def test_rfc5424_malformed_structured_data_stays_in_message() -> None:
    h = header('<13>1 2026-01-01T00:00:00Z h a 1 m [broken p="x" msg')
    assert h.malformed_sd
    assert h.message == '[broken p="x" msg'


def test_rfc5424_without_sd_field() -> None:
    h = header("<13>1 2026-01-01T00:00:00Z h a 1 m")
    assert (h.host, h.msgid, h.message, h.malformed_sd) == ("h", "m", "", False)


def test_short_rfc5424_is_read_as_bsd() -> None:
    assert header("<13>1 2 3").message == "1 2 3"


# ---------------------------------------------------------------- devices


@pytest.mark.parametrize(
    ("line", "stamp", "frac", "zone", "host", "app", "procid", "event_id", "extra", "message_start"),
    [
        pytest.param(
            "<189>521: router1: *Nov 14 08:30:56.699: %LINK-5-CHANGED: Interface GigabitEthernet2, changed state",
            "Nov 14 08:30:56", "699", "", "router1", "", "", "LINK-5-CHANGED", {"seq": 521, "clock_unsynced": True},
            "%LINK-5-CHANGED: Interface", id="ios-unsynced",
        ),
        pytest.param(
            "<189>1179: NetAuto_CSRv-03: May 31 15:25:53.743 MEST: %LINK-5-CHANGED: Interface GigabitEthernet2",
            "May 31 15:25:53", "743", "MEST", "NetAuto_CSRv-03", "", "", "LINK-5-CHANGED", {"seq": 1179},
            "%LINK-5-CHANGED", id="ios-zone",
        ),
        pytest.param(
            "<187>022702: Jun 19 03:02:32: %LINK-3-UPDOWN: Interface GigabitEthernet2/0/3, changed state to down",
            "Jun 19 03:02:32", "", "", "", "", "", "LINK-3-UPDOWN", {"seq": 22702}, "%LINK-3-UPDOWN", id="ios-no-host",
        ),
        pytest.param(
            "<189>Mar  1 00:00:00.000: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
            "Mar 1 00:00:00", "000", "", "", "", "", "LINK-3-UPDOWN", {}, "%LINK-3-UPDOWN", id="ios-no-seq",
        ),
        pytest.param(
            "<189>000013: 00:00:45: %SYS-5-CONFIG_I: Configured from console by console",
            "", "", "", "", "", "", "SYS-5-CONFIG_I", {"seq": 13, "uptime": "00:00:45"}, "%SYS-5", id="ios-uptime",
        ),
        pytest.param(
            "<149>2647599: vmx01 RP/0/RSP1/CPU0:Mar 28 15:08:30.941 UTC: bgp[1051]: %ROUTING-BGP-5-MAXPFX : No. of",
            "Mar 28 15:08:30", "941", "UTC", "vmx01", "bgp", "1051", "ROUTING-BGP-5-MAXPFX",
            {"seq": 2647599, "node": "RP/0/RSP1/CPU0"}, "%ROUTING-BGP-5-MAXPFX : No. of", id="iosxr",
        ),
        pytest.param(
            "<190>2018 Apr 20 13:15:07 nexus-switch %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface Ethernet1/33 is down",
            "2018-04-20T13:15:07", "", "", "nexus-switch", "", "", "ETHPORT-5-IF_DOWN_LINK_FAILURE", {}, "%ETHPORT",
            id="nxos",
        ),
        pytest.param(
            "<190>sw01.pdx01: 2017 Jul 28 14:42:46 UTC: %AUTHPRIV-6-SYSTEM_MSG: pam_unix(dcos_sshd:session): opened",
            "2017-07-28T14:42:46", "", "UTC", "sw01.pdx01", "", "", "AUTHPRIV-6-SYSTEM_MSG", {}, "%AUTHPRIV",
            id="nxos-host-first",
        ),
        pytest.param(
            "<166>Aug 15 2019 13:44:38: %ASA-6-305011: Built dynamic UDP translation from inside:192.168.1.5/56739",
            "2019-08-15T13:44:38", "", "", "", "", "", "ASA-6-305011", {}, "%ASA-6-305011: Built", id="asa-year",
        ),
        pytest.param(
            "<166>%ASA-4-434002: SFR requested to drop TCP packet from outside:110.52.22.124/1215",
            "", "", "", "", "", "", "ASA-4-434002", {}, "%ASA-4-434002", id="asa-untimed",
        ),
        pytest.param(
            "<166>Oct 18 14:39:03 edge01.bru01 Rib: %AGENT-6-INITIALIZED: Agent 'Rib' initialized; pid=7104",
            "Oct 18 14:39:03", "", "", "edge01.bru01", "Rib", "", "AGENT-6-INITIALIZED", {}, "%AGENT", id="eos",
        ),
        pytest.param(
            "<29>2018-7-23 01:00:34.270.1 my-awesome-huawei-switch %%01IFNET/4/IF_STATE(l)[4997]:Interface Eth0/0/8",
            "2018-07-23T01:00:34.270", "", "", "my-awesome-huawei-switch", "", "", "IFNET/4/IF_STATE", {}, "%%01IFNET",
            id="huawei",
        ),
        pytest.param(
            "<28>Jun 21 14:03:12  vmx01 rpd[2902]: RPD_BGP_NEIGHBOR_STATE_CHANGED: BGP peer 1.1.1.1 changed state",
            "Jun 21 14:03:12", "", "", "vmx01", "rpd", "2902", "RPD_BGP_NEIGHBOR_STATE_CHANGED", {}, "RPD_BGP",
            id="junos-double-space",
        ),
        pytest.param(
            "<4>Jul 20 21:23:00 vmx01 /kernel: tcp_auth_ok: Packet from 192.168.140.254:61664 wrong MD5 digest",
            "Jul 20 21:23:00", "", "", "vmx01", "/kernel", "", None, {}, "tcp_auth_ok: Packet", id="junos-kernel",
        ),
        pytest.param(
            '<189>date=2019-04-09 time=04:27:29 devname=fw01 devid=FG800D0123456789 logid=0000000013 type=traffic',
            "2019-04-09T04:27:29", "", "", "fw01", "", "", "0000000013", {}, "date=2019-04-09", id="fortinet",
        ),
        pytest.param(
            "<30>ztp-tankstelle_1-ts port02 2018-Nov- 9 15:42:06.972 SIGNAL: CTS => 0",
            "2018-11-09T15:42:06.972", "", "", "ztp-tankstelle_1-ts", "port02", "", None, {}, "SIGNAL: CTS",
            id="opengear",
        ),
        pytest.param(
            "<166>1 2019-02-20T15:10:50.505646+00:00 ss12.00.lab bgpd 83 - -  %ADJCHANGE: neighbor 100.67.0.142 Up",
            "2019-02-20T15:10:50.505646+00:00", "", "", "ss12.00.lab", "bgpd", "83", None, {}, "%ADJCHANGE", id="sonic",
        ),
    ],
)  # fmt: skip
def test_device_lines(
    line: str,
    stamp: str,
    frac: str,
    zone: str,
    host: str,
    app: str,
    procid: str,
    event_id: str | None,
    extra: dict[str, object],
    message_start: str,
) -> None:
    h = header(line)
    assert (h.stamp, h.frac, h.zone, h.host, h.app, h.procid, h.event_id) == (
        stamp,
        frac,
        zone,
        host,
        app,
        procid,
        event_id,
    )
    assert h.extra == extra
    assert h.message.startswith(message_start), h.message


def fixture_lines() -> list[tuple[str, str]]:
    lines = []
    for path in sorted((FIXTURES / "napalm-logs").glob("*/*.log")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("<"):
                lines.append((f"{path.parent.name}/{path.name}", line))
    return lines


def test_every_napalm_logs_line_has_a_time_and_a_message() -> None:
    """All 140+ real device lines (10 vendors) parse to a header time and a non-empty message, and the
    Cisco-style ones (a ``%FAC-SEV-MNEMONIC``) give their mnemonic as the event id."""
    lines = fixture_lines()
    assert len(lines) > 140
    for name, line in lines:
        h = header(line)
        assert h.stamp_kind != NO_STAMP, (name, line)
        assert h.message.strip(), (name, line)
        if "%" in line and "-" in line.split("%", 1)[1].split(":", 1)[0] and "ADJCHANGE" not in line:
            assert h.event_id is not None and h.event_id in line, (name, line)


def show_logging_lines(name: str) -> list[str]:
    """The log buffer of a recorded ``show logging`` (ntc-templates): the lines that were sent as syslog."""
    text = (FIXTURES / "ntc-templates" / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if "%" in line and not line.startswith((" ", "Syslog", "Log "))]


@pytest.mark.parametrize("name", ["cisco_ios_show_logging_1.raw", "cisco_asa_show_logging_1.raw"])
def test_ntc_templates_buffer_lines_with_a_pri(name: str) -> None:
    lines = show_logging_lines(name)
    assert len(lines) >= 3
    for line in lines:
        h = header(f"<187>{line}")
        assert h.event_id is not None and f"%{h.event_id}:" in line, line
        assert f"%{h.event_id}" in h.message, line


def test_fixture_files_exist() -> None:
    assert Path(FIXTURES, "napalm-logs", "ios", "ALL.log").is_file()
