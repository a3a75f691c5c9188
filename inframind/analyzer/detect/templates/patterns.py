"""The built-in masks: regular expressions for the variable parts every kind of log shares.

They run token by token (whitespace-separated), which lets the masker cache each distinct token once; values that
span tokens (``Sat Sep 17 07:49:04 PDT 2005``, ``1190 bytes (1.16 KB)``) are joined afterwards (:mod:`.joins`).
Order is priority at the same start position (a URL wins over the path inside it). Each entry is a placeholder
name, a pattern, and the characters a match can start with (``d`` any digit, ``h`` a hex letter, ``l`` any
letter, anything else literally), which lets a whole-token match try only the masks that can start there.
``IP``, ``HOST`` and ``IP6`` entries may carry a ``port`` group that becomes ``<PORT>``.
Patterns use only non-capturing groups apart from those named here, so ``Match.lastgroup`` names the mask.
"""

from __future__ import annotations

_HMS = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
_BEFORE = r"(?<![\w.])"
_AFTER = r"(?!\w)"
_OCTET = r"\d{1,3}"  # no range check: masking must not depend on digit values (see masking's line cache)
_IP4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H16 = r"[0-9A-Fa-f]{1,4}"
_IP6 = (
    r"(?:"
    rf"(?:{_H16}:){{7}}{_H16}"
    rf"|(?:{_H16}:){{1,7}}:(?!{_H16})"
    rf"|(?:{_H16}:){{1,6}}:{_H16}"
    rf"|(?:{_H16}:){{1,5}}(?::{_H16}){{1,2}}"
    rf"|(?:{_H16}:){{1,4}}(?::{_H16}){{1,3}}"
    rf"|(?:{_H16}:){{1,3}}(?::{_H16}){{1,4}}"
    rf"|(?:{_H16}:){{1,2}}(?::{_H16}){{1,5}}"
    rf"|{_H16}:(?::{_H16}){{1,6}}"
    rf"|::(?:ffff:)?{_IP4}"
    rf"|::(?:{_H16}:){{0,6}}{_H16}"
    r")"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:com|net|org|edu|gov|mil|int|info|biz|io|arpa|local|localdomain|lan|internal|corp|[a-z]{2})"
_SIZE_UNIT = r"(?:[KMGTPE]i?B|kB|bytes?)"
_SEG = r"[\w.@%+~=$#-]+(?:[,:][\w.@%+~=$#-]+)*"
_HEX = r"[0-9A-Fa-f]"

TOKEN_MASKS: tuple[tuple[str, str, str], ...] = (
    ("BLK", r"(?<![\w/-])blk_-?\d+(?!\w)", "b"),
    ("URL", r"(?<![\w.+-])[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"']+", "l"),
    ("EMAIL", r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])", "dl_.%+-"),
    ("GUID", rf"\{{{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\}}", "{"),
    ("UUID", rf"(?<![\w-]){_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}(?![\w-])", "dh"),
    ("SID", r"(?<![\w-])S-1-\d+(?:-\d+){1,14}(?![\w-])", "S"),
    ("MAC", rf"(?<![\w:-])(?:(?:{_HEX}{{2}}:){{5,15}}{_HEX}{{2}}|(?:{_HEX}{{2}}-){{5}}{_HEX}{{2}})(?![\w:-])", "dh"),
    ("PCI", rf"(?<![\w:]){_HEX}{{4}}:{_HEX}{{2}}:{_HEX}{{2}}\.[0-7](?!\w)", "dh"),
    ("IP6", rf"\[(?P<ip6b>{_IP6})\](?::(?P<ip6b_port>\d{{1,5}}))?(?!\w)", "["),
    ("IP6", rf"(?<![\w:.]){_IP6}(?![\w:])", "dh:"),
    # /10.0.0.1:50010 (Java's InetAddress prints a leading slash when it has no host name)
    ("IP", rf"(?:(?<![^\s(\[=,:])/)?(?<![\w.])(?P<ip4>{_IP4})(?!\w|\.\w)(?::(?P<ip4_port>\d{{1,5}})(?!\w))?", "d/"),
    (
        "HOST",
        rf"(?<![\w.@-])(?P<hostp>{_LABEL}(?:\.{_LABEL})*\.[A-Za-z][A-Za-z0-9-]*):(?P<hostp_port>\d{{1,5}})(?!\w)",
        "dl",
    ),
    ("HOST", rf"(?<![\w.@-])(?:{_LABEL}\.){{2,}}{_TLD}(?![\w-]|\.[\w-])", "dl"),
    ("PATH", rf"(?<![\w/.~\\-])(?:~|\.{{1,2}})?(?:/+{_SEG})+/*", "/~."),
    ("PATH", r"(?<![\w\\])(?:[A-Za-z]:\\|\\\\[\w.$-]+\\)[^\s\\/:*?\"<>|]*(?:\\[^\s\\/:*?\"<>|]*)*", "l\\"),
    ("DATETIME", rf"{_BEFORE}\d{{4}}-\d{{2}}-\d{{2}}T{_HMS}(?:Z|[+-]\d{{2}}:?\d{{2}})?{_AFTER}", "d"),
    ("DATE", rf"{_BEFORE}(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}){_AFTER}", "d"),
    ("TIME", rf"(?<![\w:.]){_HMS}(?![\w:])", "d"),
    ("TIME", r"(?<![\w:.])\d{2}:\d{2}(?![\w:])", "d"),
    ("HEX", rf"(?<!\w)(?:0[xX]{_HEX}+|(?={_HEX}*[A-Fa-f])(?={_HEX}*\d){_HEX}{{6,}})(?!\w)", "dh"),
    ("SIZE", rf"{_BEFORE}\d+(?:\.\d+)?(?:{_SIZE_UNIT}|[kKMGTPE]|B){_AFTER}", "d"),
    ("DURATION", rf"{_BEFORE}\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*{_AFTER}", "d"),
    ("DURATION", rf"{_BEFORE}\d+(?:\.\d+)?(?:sec|secs|min|mins|hrs?|days?){_AFTER}", "d"),
    (
        "VERSION",
        rf"{_BEFORE}(?:[vV]\d+(?:\.\d+)*|\d+(?:\.\d+){{2,}})(?:[-+~]+[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*)?{_AFTER}",
        "dvV",
    ),
    # numbers, with a sign when one stands in front, and with an unknown unit (41C, 80x25, 95%)
    ("NUM", r"(?:(?<![\w.-])[-+])?(?<!\w)\d+(?:\.\d+)?(?:[eE][-+]?\d+|x\d+(?:x\d+)*|%|[A-Za-z]{1,4})?(?!\w)", "d-+"),
)
