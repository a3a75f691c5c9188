<#
.SYNOPSIS
    Ships new Windows events to InfraMind (POST /ingest/events), from where the last run stopped.

.DESCRIPTION
    One run reads each channel (Application and System by default) from its saved RecordId, oldest first,
    and posts the events as UTF-8 JSON in the payload earlier InfraMind agents send:

        {"events":[{"asset_id","source","message","metric","value","severity","timestamp"}]}

    (see ingest-events.schema.json beside this script for each field; metric and value are null, and the
    message starts with "[channel] provider event-id"). The cursor of a channel is saved
    only after the server accepted the batch (2xx), so a failed post is sent again by the next run: events
    arrive at least once. A log that was cleared (its newest record is below the cursor) is read again from
    its start, and a warning event says so.

    install.ps1 registers a scheduled task that starts this script every minute as SYSTEM. Windows
    PowerShell 5.1 and PowerShell 7 both run it.

.PARAMETER Url
    The InfraMind analyzer's base URL, e.g. https://inframind.example.net:8050

.PARAMETER TokenFile
    The bearer token: a file readable only by SYSTEM and Administrators, holding either the token itself
    or "dpapi:" and the token encrypted with DPAPI (machine scope, as install.ps1 writes it).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$Url,
    [string[]]$Channels = @('Application', 'System'),
    [string]$TokenFile = (Join-Path $env:ProgramData 'InfraMind\token.dpapi'),
    [string]$StateFile = (Join-Path $env:ProgramData 'InfraMind\eventlog-cursor.json'),
    [string]$LogFile = (Join-Path $env:ProgramData 'InfraMind\eventlog-agent.log'),
    [string]$AssetId = $env:COMPUTERNAME,
    [ValidateRange(1, 5000)][int]$BatchSize = 500,
    [ValidateRange(1, 1000)][int]$MaxBatches = 20,
    [ValidateRange(1, 600)][int]$TimeoutSec = 30
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# Windows PowerShell 5.1 would serialize arrays as {"value":[...],"Count":n} with this type data loaded.
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue

$ChannelPattern = '^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,254}$'
$AuditFailure = 0x0010000000000000

function Write-InframindLog {
    param([string]$Text)
    $line = '{0} {1}' -f (Get-Date).ToUniversalTime().ToString('o'), $Text
    if ((Test-Path -LiteralPath $LogFile) -and (Get-Item -LiteralPath $LogFile).Length -gt 1048576) {
        Move-Item -LiteralPath $LogFile -Destination "$LogFile.1" -Force
    }
    Add-Content -LiteralPath $LogFile -Value $line -Encoding UTF8
    Write-Verbose $line
}

function Read-InframindToken {
    param([Parameter(Mandatory = $true)][string]$Path)
    if (-not (Test-Path -LiteralPath $Path)) {
        throw "token file $Path not found: run install.ps1 (it asks for the token and protects it)"
    }
    $raw = [IO.File]::ReadAllText($Path).Trim()
    if ($raw.StartsWith('dpapi:')) {
        Add-Type -AssemblyName System.Security
        $cipher = [Convert]::FromBase64String($raw.Substring(6))
        $scope = [Security.Cryptography.DataProtectionScope]::LocalMachine
        $plain = [Security.Cryptography.ProtectedData]::Unprotect($cipher, $null, $scope)
        return [Text.Encoding]::UTF8.GetString($plain)
    }
    return $raw
}

function Read-InframindState {
    param([Parameter(Mandatory = $true)][string]$Path)
    $state = @{}
    if (Test-Path -LiteralPath $Path) {
        $saved = [IO.File]::ReadAllText($Path, [Text.Encoding]::UTF8) | ConvertFrom-Json
        foreach ($property in $saved.PSObject.Properties) { $state[$property.Name] = [long]$property.Value }
    }
    return $state
}

function Save-InframindState {
    param([Parameter(Mandatory = $true)][hashtable]$State, [Parameter(Mandatory = $true)][string]$Path)
    $temporary = "$Path.tmp"
    $json = ConvertTo-Json -InputObject $State -Compress
    [IO.File]::WriteAllText($temporary, $json, (New-Object System.Text.UTF8Encoding $false))
    Move-Item -LiteralPath $temporary -Destination $Path -Force
}

function Get-InframindSeverity {
    param([object]$Level, [object]$Keywords)
    $levels = @{ 0 = 'info'; 1 = 'critical'; 2 = 'error'; 3 = 'warning'; 4 = 'info'; 5 = 'debug' }
    $severity = 'info'
    if ($null -ne $Level -and $levels.ContainsKey([int]$Level)) { $severity = $levels[[int]$Level] }
    $failed = $null -ne $Keywords -and ([long]$Keywords -band $AuditFailure) -ne 0
    if ($failed -and ($severity -eq 'info' -or $severity -eq 'debug')) { $severity = 'warning' }
    return $severity
}

function Get-InframindMessage {
    param([Parameter(Mandatory = $true)][object]$Record)
    # The payload has no event id, channel or provider fields: they lead the message instead.
    $head = '[{0}] {1} {2}' -f $Record.LogName, $Record.ProviderName, $Record.Id
    $text = $Record.Message
    if ([string]::IsNullOrWhiteSpace($text)) {
        $values = @($Record.Properties | ForEach-Object { [string]$_.Value } | Where-Object { $_ })
        $text = $values -join '; '
    }
    $text = ($text -replace "`r`n", "`n").Trim()
    if ($text) { return $head + ': ' + $text }
    return $head
}

function ConvertTo-InframindIngestEvent {
    param([Parameter(Mandatory = $true)][object]$Record, [Parameter(Mandatory = $true)][string]$AssetId)
    # metric and value stay null: an event is no measurement, and the ingest API would store a value as a
    # VictoriaMetrics sample (inframind_agent_<metric>).
    [ordered]@{
        asset_id  = $AssetId
        source    = 'eventlog'
        message   = Get-InframindMessage -Record $Record
        metric    = $null
        value     = $null
        severity  = Get-InframindSeverity -Level $Record.Level -Keywords $Record.Keywords
        timestamp = $Record.TimeCreated.ToUniversalTime().ToString('o')
    }
}

function New-InframindGapEvent {
    param([Parameter(Mandatory = $true)][string]$Channel, [long]$Cursor, [object]$Newest, [string]$AssetId)
    [ordered]@{
        asset_id  = $AssetId
        source    = 'eventlog'
        message   = "[$Channel] inframind-agent cursor_gap: newest record $Newest is below the cursor $Cursor (the log was cleared); reading the log again from its oldest record"
        metric    = $null
        value     = $null
        severity  = 'warning'
        timestamp = (Get-Date).ToUniversalTime().ToString('o')
    }
}

function Get-InframindNewestRecordId {
    param([Parameter(Mandatory = $true)][string]$Channel)
    try { $newest = Get-WinEvent -LogName $Channel -MaxEvents 1 -ErrorAction Stop }
    catch { if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return $null }; throw }
    return [long]$newest.RecordId
}

function Get-InframindNewEvents {
    param([Parameter(Mandatory = $true)][string]$Channel, [long]$After, [int]$Max)
    $xpath = "*[System[EventRecordID > $After]]"
    try { return @(Get-WinEvent -LogName $Channel -FilterXPath $xpath -MaxEvents $Max -Oldest -ErrorAction Stop) }
    catch { if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') { return @() }; throw }
}

function Send-InframindBatch {
    param([Parameter(Mandatory = $true)][object[]]$Items, [Parameter(Mandatory = $true)][string]$Token)
    $body = ConvertTo-Json -InputObject ([ordered]@{ events = $Items }) -Depth 4 -Compress
    $bytes = (New-Object System.Text.UTF8Encoding $false).GetBytes($body)
    $uri = $Url.TrimEnd('/') + '/ingest/events'
    $headers = @{ Authorization = "Bearer $Token" }
    $null = Invoke-RestMethod -Method Post -Uri $uri -Headers $headers -ContentType 'application/json; charset=utf-8' -Body $bytes -TimeoutSec $TimeoutSec
}

function Invoke-InframindChannel {
    param([Parameter(Mandatory = $true)][string]$Channel, [hashtable]$State, [string]$Token)
    $after = [long]0
    if ($State.ContainsKey($Channel)) { $after = [long]$State[$Channel] }
    $pending = New-Object System.Collections.ArrayList
    $newest = Get-InframindNewestRecordId -Channel $Channel
    if ($after -gt 0 -and ($null -eq $newest -or $newest -lt $after)) {
        [void]$pending.Add((New-InframindGapEvent -Channel $Channel -Cursor $after -Newest $newest -AssetId $AssetId))
        Write-InframindLog "$Channel was cleared (newest record $newest, cursor $after): reading it from the start"
        $after = [long]0
    }
    $sent = 0
    for ($round = 0; $round -lt $MaxBatches; $round++) {
        $found = @(Get-InframindNewEvents -Channel $Channel -After $after -Max $BatchSize)
        foreach ($record in $found) {
            [void]$pending.Add((ConvertTo-InframindIngestEvent -Record $record -AssetId $AssetId))
            if ([long]$record.RecordId -gt $after) { $after = [long]$record.RecordId }
        }
        if ($pending.Count -eq 0) { break }
        Send-InframindBatch -Items $pending.ToArray() -Token $Token
        $sent += $pending.Count
        $State[$Channel] = $after
        Save-InframindState -State $State -Path $StateFile
        $pending.Clear()
        if ($found.Count -lt $BatchSize) { break }
    }
    return $sent
}

[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
foreach ($file in @($StateFile, $LogFile)) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file)
}
# powershell.exe -File passes "-Channels Application,System" as one string: split it here.
$Channels = @($Channels | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
$failures = 0
$token = Read-InframindToken -Path $TokenFile
$state = Read-InframindState -Path $StateFile
foreach ($channel in $Channels) {
    if ($channel -notmatch $ChannelPattern) {
        Write-InframindLog "skipping channel '$channel': not an event log name"
        $failures++
        continue
    }
    try {
        $count = Invoke-InframindChannel -Channel $channel -State $state -Token $token
        Write-InframindLog "${channel}: sent $count events, cursor $($state[$channel])"
    } catch {
        Write-InframindLog "${channel}: failed, will retry next run: $($_.Exception.Message)"
        $failures++
    }
}
if ($failures -gt 0) { exit 1 }
exit 0
