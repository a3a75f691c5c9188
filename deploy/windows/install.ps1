<#
.SYNOPSIS
    Installs the InfraMind EventLog push agent as a scheduled task running as SYSTEM.

.DESCRIPTION
    - copies inframind-eventlog.ps1 to $InstallDir;
    - asks for the bearer token (or reads it from -TokenPath once), encrypts it with DPAPI in machine
      scope into $DataDir\token.dpapi, and restricts $DataDir to SYSTEM and Administrators;
    - registers the task "\InfraMind\EventLog" that runs the agent at startup and every
      $IntervalMinutes minutes (one instance at a time, stopped after 10 minutes);
    - runs it once, so a wrong URL or token shows up now (see $DataDir\eventlog-agent.log).

    -Uninstall removes the task and $InstallDir; -Purge also removes $DataDir (token and cursors).

.EXAMPLE
    .\install.ps1 -Url https://inframind.example.net:8050
.EXAMPLE
    .\install.ps1 -Url https://inframind.example.net:8050 -Channels Application,System,Security
.EXAMPLE
    .\install.ps1 -Uninstall -Purge
#>
#Requires -RunAsAdministrator
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
    [Parameter(Mandatory = $true, ParameterSetName = 'Install')][string]$Url,
    [Parameter(ParameterSetName = 'Install')][string[]]$Channels = @('Application', 'System'),
    [Parameter(ParameterSetName = 'Install')][string]$TokenPath,
    [Parameter(ParameterSetName = 'Install')][string]$AssetId = $env:COMPUTERNAME,
    [Parameter(ParameterSetName = 'Install')][ValidateRange(1, 1440)][int]$IntervalMinutes = 1,
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'InfraMind'),
    [string]$DataDir = (Join-Path $env:ProgramData 'InfraMind'),
    [Parameter(Mandatory = $true, ParameterSetName = 'Uninstall')][switch]$Uninstall,
    [Parameter(ParameterSetName = 'Uninstall')][switch]$Purge
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$TaskPath = '\InfraMind\'
$TaskName = 'EventLog'

function Protect-InframindDirectory {
    param([Parameter(Mandatory = $true)][string]$Path)
    # Only LocalSystem (S-1-5-18) and the Administrators group (S-1-5-32-544); SIDs work in any language.
    & icacls.exe $Path /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls could not restrict $Path (exit code $LASTEXITCODE)" }
}

function Save-InframindToken {
    param([Parameter(Mandatory = $true)][string]$Token, [Parameter(Mandatory = $true)][string]$Path)
    Add-Type -AssemblyName System.Security
    $scope = [Security.Cryptography.DataProtectionScope]::LocalMachine
    $cipher = [Security.Cryptography.ProtectedData]::Protect([Text.Encoding]::UTF8.GetBytes($Token), $null, $scope)
    $text = 'dpapi:' + [Convert]::ToBase64String($cipher)
    [IO.File]::WriteAllText($Path, $text, (New-Object System.Text.UTF8Encoding $false))
}

function Read-InframindTokenInput {
    if ($TokenPath) {
        $token = [IO.File]::ReadAllText($TokenPath).Trim()
        Write-Warning "the token was read from ${TokenPath}: delete that file once the install succeeded"
        return $token
    }
    $secure = Read-Host -Prompt 'InfraMind ingest token' -AsSecureString
    $pointer = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($secure)
    try { return [Runtime.InteropServices.Marshal]::PtrToStringBSTR($pointer) }
    finally { [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($pointer) }
}

if ($Uninstall) {
    if (Get-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName -ErrorAction SilentlyContinue) {
        Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName -Confirm:$false
    }
    if (Test-Path -LiteralPath $InstallDir) { Remove-Item -LiteralPath $InstallDir -Recurse -Force }
    if ($Purge -and (Test-Path -LiteralPath $DataDir)) { Remove-Item -LiteralPath $DataDir -Recurse -Force }
    Write-Output 'InfraMind EventLog agent removed.'
    exit 0
}

$null = New-Item -ItemType Directory -Force -Path $InstallDir
$null = New-Item -ItemType Directory -Force -Path $DataDir
Protect-InframindDirectory -Path $DataDir
$agent = Join-Path $InstallDir 'inframind-eventlog.ps1'
Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'inframind-eventlog.ps1') -Destination $agent -Force

$tokenFile = Join-Path $DataDir 'token.dpapi'
if (-not (Test-Path -LiteralPath $tokenFile) -or $TokenPath) {
    Save-InframindToken -Token (Read-InframindTokenInput) -Path $tokenFile
}

$channelList = ($Channels | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ }) -join ','
$state = Join-Path $DataDir 'eventlog-cursor.json'
$log = Join-Path $DataDir 'eventlog-agent.log'
$arguments = ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" -Url "{1}" -Channels "{2}" ' +
    '-AssetId "{3}" -TokenFile "{4}" -StateFile "{5}" -LogFile "{6}"') -f $agent, $Url, $channelList, $AssetId, $tokenFile, $state, $log
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments
$every = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) -RepetitionInterval (New-TimeSpan -Minutes $IntervalMinutes) -RepetitionDuration (New-TimeSpan -Days 3650)
$boot = New-ScheduledTaskTrigger -AtStartup
$principal = New-ScheduledTaskPrincipal -UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable -ExecutionTimeLimit (New-TimeSpan -Minutes 10) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
$null = Register-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName -Action $action -Trigger @($every, $boot) -Principal $principal -Settings $settings -Description 'Ships Windows events to InfraMind (POST /ingest/events)' -Force

Start-ScheduledTask -TaskPath $TaskPath -TaskName $TaskName
Write-Output "Installed. The task $TaskPath$TaskName runs every $IntervalMinutes minute(s); log: $log"
