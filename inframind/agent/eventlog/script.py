"""The PowerShell that runs on the Windows host: one fixed template, three checked values inserted.

Only a validated channel name (as a single-quoted string) and two integers ever reach the script, so
nothing in config can inject code. The script serializes on the Windows side to UTF-8 JSON and writes the
bytes to the raw stdout stream: the console code page (437 by default in a WinRS shell) never touches
them, which is what keeps Cyrillic messages intact. It works on Windows PowerShell 5.1 and PowerShell 7;
what 5.1's ``ConvertTo-Json`` still does differently is undone by :mod:`.report`.

The report carries the newest and oldest record of the log beside the events, so the caller can tell a
cleared (renumbered) log from a quiet one without another round trip.
"""

from __future__ import annotations

import base64
import re

SCHEMA = 1
"""Version of the report the template prints; :mod:`.report` refuses others."""

CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/-]{0,254}")
"""Windows channel names (``System``, ``Windows PowerShell``,
``Microsoft-Windows-TaskScheduler/Operational``): letters, digits, space, ``. _ / -``. No quotes,
``$``, backticks or semicolons, so a name can never leave its string literal."""

MAX_COMMAND_LINE = 8191
"""cmd.exe's limit; the command skips cmd.exe (32767 then), but staying under it keeps a margin."""

_TEMPLATE = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
$channel = '@CHANNEL@'
$after = @AFTER@
$max = @MAX@
function Get-Edge([bool]$oldest) {
  try { $e = Get-WinEvent -LogName $channel -MaxEvents 1 -Oldest:$oldest -ErrorAction Stop }
  catch { if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return $null }; throw }
  [ordered]@{ RecordId = [long]$e.RecordId; TimeCreated = $e.TimeCreated.ToUniversalTime().ToString('o') }
}
function ConvertTo-Text($v) {
  if ($null -eq $v) { return $null }
  if ($v -is [byte[]]) { return [BitConverter]::ToString($v).Replace('-', '') }
  if ($v -is [datetime]) { return $v.ToUniversalTime().ToString('o') }
  [string]$v
}
$found = @()
try {
  $xpath = "*[System[EventRecordID > $after]]"
  $found = @(Get-WinEvent -LogName $channel -FilterXPath $xpath -MaxEvents $max -Oldest -ErrorAction Stop)
} catch { if (-not ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*')) { throw } }
$items = New-Object System.Collections.ArrayList
foreach ($e in $found) {
  $values = New-Object System.Collections.ArrayList
  foreach ($p in $e.Properties) { [void]$values.Add((ConvertTo-Text $p.Value)) }
  $levelName = $null
  try { $levelName = $e.LevelDisplayName } catch { $levelName = $null }
  $keywords = $null
  if ($null -ne $e.Keywords) { $keywords = '0x{0:x16}' -f $e.Keywords }
  [void]$items.Add([ordered]@{
    Id = [int]$e.Id; RecordId = [long]$e.RecordId; Level = $e.Level; LevelDisplayName = $levelName
    Keywords = $keywords; ProviderName = $e.ProviderName; LogName = $e.LogName; MachineName = $e.MachineName
    TimeCreated = $e.TimeCreated.ToUniversalTime().ToString('o'); Message = $e.Message
    Properties = $values.ToArray()
  })
}
$report = [ordered]@{
  schema = @SCHEMA@; channel = $channel; after = $after
  newest = (Get-Edge $false); oldest = (Get-Edge $true); events = $items.ToArray()
}
$json = ConvertTo-Json -InputObject $report -Depth 5 -Compress
$bytes = (New-Object System.Text.UTF8Encoding $false).GetBytes($json)
$out = [Console]::OpenStandardOutput()
$out.Write($bytes, 0, $bytes.Length)
$out.Flush()
"""


class ScriptError(ValueError):
    """A value that must not reach the script (bad channel name, negative number)."""


def check_channel(name: str) -> str:
    """``name`` if it is a channel name the template accepts; raises ScriptError saying what is allowed."""
    if not CHANNEL.fullmatch(name):
        raise ScriptError(
            f"channel {name!r} is not a Windows event log name: use letters, digits, spaces and . _ / - "
            "(e.g. System or Microsoft-Windows-TaskScheduler/Operational)"
        )
    return name


def query_script(channel: str, after: int, max_events: int) -> str:
    """The script that prints events of ``channel`` with RecordId > ``after``, oldest first, at most
    ``max_events``, plus the log's newest and oldest record."""
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ScriptError(f"after must be a record id >= 0, got {after!r}")
    if isinstance(max_events, bool) or not isinstance(max_events, int) or not 1 <= max_events <= 100_000:
        raise ScriptError(f"max_events must be 1..100000, got {max_events!r}")
    quoted = check_channel(channel).replace("'", "''")  # no quote can pass the check; doubled all the same
    values = {"@CHANNEL@": quoted, "@AFTER@": str(after), "@MAX@": str(max_events), "@SCHEMA@": str(SCHEMA)}
    return re.sub(r"@[A-Z]+@", lambda m: values[m.group(0)], _TEMPLATE).strip() + "\n"


def encode_command(script: str) -> str:
    """PowerShell's ``-EncodedCommand`` form: base64 of the UTF-16LE script."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def decode_command(encoded: str) -> str:
    """The script back from ``-EncodedCommand`` (what the replay server and tests read)."""
    return base64.b64decode(encoded).decode("utf-16-le")


def powershell_arguments(script: str) -> list[str]:
    """``powershell.exe`` arguments that run ``script`` without a profile or prompts."""
    args = ["-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass"]
    args += ["-EncodedCommand", encode_command(script)]
    length = len("powershell.exe ") + len(" ".join(args))
    if length > MAX_COMMAND_LINE:
        raise ScriptError(f"the PowerShell command line would be {length} characters (limit {MAX_COMMAND_LINE})")
    return args
