"""Masking: each built-in kind, in context (Cyrillic text around it), with the raw values behind placeholders."""

from __future__ import annotations

import pytest

from inframind.analyzer.detect.templates import Masker
from inframind.analyzer.detect.templates.tokenize import display


def masked(line: str, masker: Masker | None = None) -> tuple[str, tuple[str, ...]]:
    m = (masker or Masker()).mask(line)
    return display(" ".join(m.tokens)), m.values


@pytest.mark.parametrize(
    ("value", "placeholder", "values"),
    [
        ("10.0.0.1", "<IP>", ("10.0.0.1",)),
        ("10.0.0.1:8080", "<IP>:<PORT>", ("10.0.0.1", "8080")),
        ("/10.251.91.84:50010", "<IP>:<PORT>", ("10.251.91.84", "50010")),  # Java prints an empty host as "/"
        ("fe80::1", "<IP6>", None),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "<IP6>", None),
        ("[2001:db8::1]:443", "[<IP6>]:<PORT>", ("2001:db8::1", "443")),
        ("00:1a:2b:3c:4d:5e", "<MAC>", None),
        ("00-1A-2B-3C-4D-5E", "<MAC>", None),
        ("0x7f3a2c", "<HEX>", None),
        ("065b4cac", "<HEX>", None),
        ("550e8400-e29b-41d4-a716-446655440000", "<UUID>", None),
        ("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "<GUID>", None),
        ("S-1-5-21-3623811015-3361044348-30300820-1013", "<SID>", None),
        ("42", "<NUM>", None),
        ("-17", "<NUM>", None),
        ("3.14", "<NUM>", None),
        ("4.5GB", "<SIZE>", None),
        ("512K", "<SIZE>", None),
        ("10ms", "<DURATION>", None),
        ("1h30m", "<DURATION>", None),
        ("/var/log/messages", "<PATH>", None),
        ("C:\\Windows\\System32\\drivers\\disk.sys", "<PATH>", None),
        ("https://example.org/api/v1?x=1", "<URL>", None),
        ("ops@example.org", "<EMAIL>", None),
        ("blk_-1608999687919862906", "<BLK>", None),
        ("db01.prod.example.com", "<HOST>", None),
        ("mail.example.ru:25", "<HOST>:<PORT>", ("mail.example.ru", "25")),
        ("0000:00:1f.2", "<PCI>", None),
        ("2.6.32-754.el6", "<VERSION>", None),
        ("2024-03-01T10:00:00Z", "<DATETIME>", None),
        ("12:34:56", "<TIME>", None),
        ("2024-03-01", "<DATE>", None),
    ],
)
def test_each_kind_is_masked_inside_cyrillic_text(value: str, placeholder: str, values: tuple[str, ...] | None) -> None:
    text, found = masked(f"Ошибка: узел {value} недоступен")
    assert text == f"Ошибка: узел {placeholder} недоступен"
    assert found == (values or (value,))


def test_values_are_the_raw_text_in_order() -> None:
    text, values = masked("Accepted password for root from 10.0.0.7 port 51234 ssh2")
    assert text == "Accepted password for root from <IP> port <NUM> ssh2"
    assert values == ("10.0.0.7", "51234")


def test_port_is_its_own_value_and_slash_is_dropped() -> None:
    assert masked("from /10.251.91.84:50010")[1] == ("10.251.91.84", "50010")


def test_words_with_digits_stay_words() -> None:
    # identifiers glued to letters are names, not numbers: ssh2, eth0, sda1, L3
    assert masked("ssh2 eth0 sda1 L3")[0] == "ssh2 eth0 sda1 L3"


def test_numbers_inside_punctuation_keep_their_context() -> None:
    assert masked("uid=0 (3830880) core.10019 CPU#0 node-[8-31]")[0] == (
        "uid=<NUM> (<NUM>) core.<NUM> CPU#<NUM> node-[<NUM>-<NUM>]"
    )


@pytest.mark.parametrize(
    ("line", "expected", "value"),
    [
        ("at Fri Jun 17 07:07:00 2005 ok", "at <DATETIME> ok", "Fri Jun 17 07:07:00 2005"),
        ("since Sat Sep 17 07:49:04 PDT 2005", "since <DATETIME>", "Sat Sep 17 07:49:04 PDT 2005"),
        ("start 2015-07-29 17:41:44,747 done", "start <DATETIME> done", "2015-07-29 17:41:44,747"),
        ("sent 1190 bytes (1.16 KB) ok", "sent <SIZE> ok", "1190 bytes (1.16 KB)"),
        ("lifetime <1 sec", "lifetime <DURATION>", "<1 sec"),
        ("delete blk_1 blk_-2 blk_3 now", "delete <BLK> now", "blk_1 blk_-2 blk_3"),
    ],
)
def test_values_spanning_spaces_become_one_placeholder(line: str, expected: str, value: str) -> None:
    text, values = masked(line)
    assert text == expected
    assert value in values


def test_lines_equal_up_to_digits_share_a_cache_entry_but_keep_their_own_values() -> None:
    masker = Masker()
    first = masker.mask("generating core.10019 on node ssh2")
    second = masker.mask("generating core.20345 on node ssh3")
    assert first.tokens == ("generating", "core.\ue000NUM\ue001", "on", "node", "ssh2")
    assert second.tokens[-1] == "ssh3"  # digits that survive masking are taken from the line itself
    assert second.values == ("20345",)


def test_extra_masks_win_over_builtin_ones() -> None:
    masker = Masker({"TICKET": r"INC\d{7}", "RACK": r"R\d+-M\d"})
    text, values = masked("ticket INC0012345 on R25-M1 from 10.0.0.1", masker)
    assert text == "ticket <TICKET> on <RACK> from <IP>"
    assert values == ("INC0012345", "R25-M1", "10.0.0.1")
    text, values = masked("ticket INC0012345 closed [Fri Jun 17 07:07:00 2005]", masker)
    assert text == "ticket <TICKET> closed [<DATETIME>]"
    assert values == ("INC0012345", "Fri Jun 17 07:07:00 2005")


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"lower": "x"}, "extra mask name"),
        ({"PORT": r"\d+"}, "extra mask name"),
        ({"BAD": "("}, "invalid regex"),
        ({"EMPTY": "a*"}, "matches the empty string"),
    ],
)
def test_bad_extra_masks_are_rejected_with_the_reason(extra: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Masker(extra)


def test_literal_placeholder_text_in_a_log_is_not_a_mask() -> None:
    m = Masker().mask("value <IP> and <*> stay text")
    assert display(" ".join(m.tokens)) == "value <IP> and <*> stay text"
    assert m.values == ()


def test_a_bracketed_timestamp_keeps_its_brackets_outside_the_value() -> None:
    text, values = masked("[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child 6725")
    assert text == "[<DATETIME>] [notice] jk2_init() Found child <NUM>"
    assert values == ("Sun Dec 04 04:47:44 2005", "6725")
