"""The Get-WinEvent query script: checked values only, valid PowerShell, and a command line Windows accepts.

PowerShell itself does not run here; the script is parsed with the tree-sitter PowerShell grammar, which
finds syntax errors and shows that a channel name stays inside its string literal.
"""

from __future__ import annotations

import base64
import re

import pytest
import tree_sitter
import tree_sitter_powershell

from inframind.agent.eventlog.script import (
    MAX_COMMAND_LINE,
    ScriptError,
    check_channel,
    decode_command,
    encode_command,
    powershell_arguments,
    query_script,
)

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def shape(script: str) -> list[str]:
    """The node types of the parse tree in order: equal shapes mean equal code, whatever the literals hold."""
    tree = PARSER.parse(script.encode())
    out: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        out.append(node.type)
        stack.extend(reversed(node.children))
    return out


def test_script_carries_the_values_it_was_given() -> None:
    script = query_script("Microsoft-Windows-TaskScheduler/Operational", 12345, 250)
    assert "$channel = 'Microsoft-Windows-TaskScheduler/Operational'" in script
    assert re.search(r"^\$after = 12345$", script, re.M)
    assert re.search(r"^\$max = 250$", script, re.M)
    assert '"*[System[EventRecordID > $after]]"' in script
    assert "-Oldest" in script and "-MaxEvents $max" in script


@pytest.mark.parametrize("channel", ["System", "Windows PowerShell", "Microsoft-Windows-TaskScheduler/Operational"])
def test_script_is_valid_powershell_and_channel_cannot_change_its_shape(channel: str) -> None:
    script = query_script(channel, 7, 500)
    assert not PARSER.parse(script.encode()).root_node.has_error
    assert shape(script) == shape(query_script("System", 0, 1))


@pytest.mark.parametrize(
    "channel",
    ["System'; Remove-Item C:\\ -Recurse; '", "Sys$(whoami)", "a`b", "x\nGet-Process", "", " System", "Sys;tem", 'A"B'],
)
def test_names_that_could_leave_the_string_are_refused(channel: str) -> None:
    with pytest.raises(ScriptError, match="not a Windows event log name"):
        query_script(channel, 0, 10)


@pytest.mark.parametrize(("after", "limit"), [(-1, 10), (0, 0), (0, 100_001), (True, 10), (1.5, 10)])
def test_numbers_must_be_plain_non_negative_integers(after: object, limit: int) -> None:
    with pytest.raises(ScriptError):
        query_script("System", after, limit)  # type: ignore[arg-type]


def test_encoded_command_is_utf16le_base64_and_round_trips_cyrillic() -> None:
    script = "Write-Output 'Журнал'"
    encoded = encode_command(script)
    code_units = b"".join(ord(char).to_bytes(2, "little") for char in script)  # UTF-16LE by hand (all BMP)
    assert base64.b64decode(encoded) == code_units
    assert encoded.startswith("VwByAGkAdABl")  # "Wri" as PowerShell's own -EncodedCommand examples begin
    assert decode_command(encoded) == script


def test_command_line_stays_under_the_cmd_limit_for_the_longest_channel_name() -> None:
    longest = check_channel("A" * 255)
    args = powershell_arguments(query_script(longest, 2**63 - 1, 100_000))
    assert args[:5] == ["-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass"]
    assert args[5] == "-EncodedCommand"
    assert len("powershell.exe " + " ".join(args)) < MAX_COMMAND_LINE
    with pytest.raises(ScriptError, match="command line"):
        powershell_arguments("#" * 4000)
