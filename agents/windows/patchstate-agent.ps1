<#
.SYNOPSIS
  patchstate reference device agent: reports this device's build, VBS state, CHPE restriction, hotpatch enrollment
  and restarts to the patchstate API (docs/agent.md).

.DESCRIPTION
  Run it as SYSTEM at startup and every few hours (a scheduled task or an Intune platform script). Each run reads the
  facts below with the standard Windows interfaces, compares them with what the last run reported (a small state file)
  and sends only what changed, in this order:

    1. POST /v1/devices                    RegisterDevice, on the first run (409 DEVICE_EXISTS: already registered,
                                           for instance by a WUfB import, and the run goes on)
    2. POST /v1/devices/{id}/reboots       CommitOnReboot, when the device booted since the last run: the last boot
                                           time is a restart, the only command that knows restarts
    3. POST /v1/devices/{id}/profile       ReportDeviceProfile, when VBS, CHPE or hotpatch enrollment changed
    4. POST /v1/devices/{id}/check-ins     CheckInDevice with the running build, when the boot or build changed, and
                                           once a UTC day so the device does not read as stale (STALE_AFTER_DAYS)

  Every request carries an Idempotency-Key derived from the device, the boot and the build (see New-AgentRequests):
  a run that fails halfway is simply run again, and what was already recorded is replayed, not appended twice.

  Where each fact comes from:
    device id          dsregcmd /status "DeviceId": the Entra (Azure AD) device id, the id WUfB reports use as
                       AzureADDeviceId, so an agent and an import name the same device (or -DeviceId)
    hostname           $env:COMPUTERNAME
    build              HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion CurrentBuildNumber and UBR (26100.7392): the
                       UBR moves with a hotpatch too, which installs without a restart
    edition            the same key, EditionID (Enterprise, Education, Professional, ServerDatacenter, ...)
    product            Win32_OperatingSystem ProductType (1 workstation, 2 domain controller, 3 server) with the build
    architecture       HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment PROCESSOR_ARCHITECTURE
    VBS                Win32_DeviceGuard (root\Microsoft\Windows\DeviceGuard) VirtualizationBasedSecurityStatus:
                       0 off, 1 enabled but not running, 2 running (only running allows hotpatching)
    CHPE restriction   HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management HotPatchRestrictions = 1
                       (DWORD): CHPE disabled, as Arm64 devices need for hotpatches; it takes effect at the next restart,
                       and the service records it so
    hotpatch enrolled  a cloud policy (the Windows quality update policy with hotpatch turned on) that Windows exposes
                       through no documented local value: the deployment says it, with -HotpatchEnrolled or the DWORD
                       HKLM:\SOFTWARE\patchstate\Agent HotpatchEnrolled = 1
    last boot time     Win32_OperatingSystem LastBootUpTime; the boot id is that time in UTC (boot-20260810T050000Z)

.PARAMETER ApiUrl
  The patchstate API, e.g. https://patchstate.contoso.example
.PARAMETER ApiKey
  A key of role device-agent (npm run keys -- create --role device-agent --name agents); default $env:PATCHSTATE_AGENT_KEY.
.PARAMETER RequestsFor
  A recorded fixture (agents/windows/fixtures/*.json, its "facts" and "state"): prints the requests this run would
  send, as JSON, and sends nothing. Used by the tests.
#>
[CmdletBinding()]
param(
  [string]$ApiUrl,
  [string]$ApiKey = $env:PATCHSTATE_AGENT_KEY,
  [string]$DeviceId,
  [Nullable[bool]]$HotpatchEnrolled,
  # Default: %ProgramData%\patchstate\agent-state.json (resolved when the agent runs: -RequestsFor needs none).
  [string]$StatePath,
  [string]$RequestsFor
)
Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

# Windows' names for the editions and architectures, as the API spells them; anything else cannot be registered.
$EditionNames = @{
  'Enterprise' = 'enterprise'; 'EnterpriseN' = 'enterprise'; 'Education' = 'education'; 'EducationN' = 'education'
  'Professional' = 'pro'; 'ProfessionalN' = 'pro'; 'ServerStandard' = 'standard'; 'ServerDatacenter' = 'datacenter'
  'ServerTurbine' = 'datacenter-azure-edition'; 'ServerAzureEdition' = 'datacenter-azure-edition'
}
$ArchitectureNames = @{ 'AMD64' = 'x64'; 'ARM64' = 'arm64' }
$VbsNames = @{ 0 = 'off'; 1 = 'enabled'; 2 = 'running' }

# Reads the facts from Windows, in the shape of a fixture's "facts" (so a recorded run replays exactly).
function Get-DeviceFacts {
  $os = Get-CimInstance -ClassName Win32_OperatingSystem
  $cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
  $environment = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  $guard = Get-CimInstance -Namespace 'root\Microsoft\Windows\DeviceGuard' -ClassName Win32_DeviceGuard -ErrorAction SilentlyContinue
  $memory = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management'
  $enrolled = $HotpatchEnrolled
  if ($null -eq $enrolled) {
    $agent = Get-ItemProperty 'HKLM:\SOFTWARE\patchstate\Agent' -ErrorAction SilentlyContinue
    $enrolled = ($null -ne $agent) -and ($agent.PSObject.Properties.Name -contains 'HotpatchEnrolled') -and ($agent.HotpatchEnrolled -eq 1)
  }
  $id = $DeviceId
  if (-not $id) {
    $line = (& dsregcmd.exe /status) | Where-Object { $_ -match '^\s*DeviceId\s*:\s*(\S+)' } | Select-Object -First 1
    if (-not $line) { throw 'no Entra device id (dsregcmd /status shows no DeviceId): pass -DeviceId' }
    $id = ($line -replace '^\s*DeviceId\s*:\s*', '').Trim()
  }
  $restrictions = $null
  if ($memory.PSObject.Properties.Name -contains 'HotPatchRestrictions') { $restrictions = [int]$memory.HotPatchRestrictions }
  $vbs = 0
  if ($null -ne $guard) { $vbs = [int]$guard.VirtualizationBasedSecurityStatus }
  [ordered]@{
    deviceId = $id.ToLowerInvariant()
    hostname = $env:COMPUTERNAME
    productType = [int]$os.ProductType
    editionId = [string]$cv.EditionID
    currentBuildNumber = [string]$cv.CurrentBuildNumber
    ubr = [int]$cv.UBR
    processorArchitecture = [string]$environment.PROCESSOR_ARCHITECTURE
    virtualizationBasedSecurityStatus = $vbs
    hotPatchRestrictions = $restrictions
    hotpatchEnrolled = [bool]$enrolled
    lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
    observedAt = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
  }
}

# The profile the API takes, from the facts; throws for what the service has no name for.
function ConvertTo-AgentProfile($Facts) {
  $build = '{0}.{1}' -f $Facts.currentBuildNumber, $Facts.ubr
  $edition = $EditionNames[[string]$Facts.editionId]
  if (-not $edition) { throw "edition $($Facts.editionId) cannot hotpatch and has no profile in patchstate" }
  $architecture = $ArchitectureNames[[string]$Facts.processorArchitecture]
  if (-not $architecture) { throw "architecture $($Facts.processorArchitecture) cannot hotpatch" }
  $product = 'windows-11'
  if ([int]$Facts.productType -ne 1) {
    $product = @{ '26100' = 'windows-server-2025'; '20348' = 'windows-server-2022' }[[string]$Facts.currentBuildNumber]
    if (-not $product) { throw "server build $($Facts.currentBuildNumber) is not a product patchstate knows" }
  }
  [ordered]@{
    product = $product; edition = $edition; architecture = $architecture; build = $build
    vbs = $VbsNames[[int]$Facts.virtualizationBasedSecurityStatus]
    chpeDisabled = ($Facts.hotPatchRestrictions -eq 1)
    hotpatchEnabled = [bool]$Facts.hotpatchEnrolled
  }
}

# Times as the API takes them. PowerShell 7's ConvertFrom-Json turns ISO strings into DateTime (5.1 does not), so a
# time read back from a fixture or the state file is written out again the one way.
function Format-Time($Value) {
  if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") }
  return [string]$Value
}

function Format-Day($Value) {
  if ($Value -is [datetime]) { return $Value.ToString('yyyy-MM-dd') }
  return [string]$Value
}

function Get-BootId($Facts) {
  'boot-' + ((Format-Time $Facts.lastBootUpTime) -replace '[-:]', '')
}

# A field of the saved state, or $null: an older or empty state file lacks some (strict mode refuses to read them).
function Get-StateValue($State, [string]$Name) {
  if ($null -ne $State -and $State.PSObject.Properties.Name -contains $Name) { return $State.$Name }
  return $null
}

<#
  The requests one run sends, from the facts and the state the last run saved; pure (no Windows, no network), so
  recorded facts replay exactly (agents/windows/fixtures). Each request: method, path, idempotencyKey, body.
  Idempotency keys (a retry sends the same body under the same key, so it is replayed, never appended twice):
  registration per device and observation; a reboot per boot; a profile report per boot and observation; a check-in
  per boot, build and UTC day. observedAt is kept across a failed run's retries (Invoke-Agent).
#>
function New-AgentRequests($Facts, $State) {
  $id = [string]$Facts.deviceId
  $reported = ConvertTo-AgentProfile $Facts
  $bootId = Get-BootId $Facts
  $observedAt = Format-Time $Facts.observedAt
  $day = $observedAt.Substring(0, 10)
  $stamp = $observedAt -replace '[-:]', ''
  $path = "/v1/devices/$id"
  if (-not (Get-StateValue $State 'registered')) {
    $body = [ordered]@{ deviceId = $id; hostname = [string]$Facts.hostname; profile = $reported; registeredAt = $observedAt }
    return [ordered]@{ method = 'POST'; path = '/v1/devices'; idempotencyKey = "${id}:register:${stamp}"; body = $body }
  }
  $lastBoot = Get-StateValue $State 'bootId'
  if ($lastBoot -and $lastBoot -ne $bootId) {
    $body = [ordered]@{ bootId = $bootId; rebootedAt = (Format-Time $Facts.lastBootUpTime) }
    [ordered]@{ method = 'POST'; path = "$path/reboots"; idempotencyKey = "${id}:reboot:${bootId}"; body = $body }
  }
  $last = Get-StateValue $State 'profile'
  $changes = [ordered]@{}
  foreach ($field in 'vbs', 'chpeDisabled', 'hotpatchEnabled') {
    if ($null -eq $last -or (Get-StateValue $last $field) -ne $reported[$field]) { $changes[$field] = $reported[$field] }
  }
  if ($changes.Count -gt 0) {
    $changes['reportedAt'] = $observedAt
    [ordered]@{ method = 'POST'; path = "$path/profile"; idempotencyKey = "${id}:profile:${bootId}:${stamp}"; body = $changes }
  }
  if ($lastBoot -ne $bootId -or (Get-StateValue $State 'build') -ne $reported.build -or (Format-Day (Get-StateValue $State 'checkedInDay')) -ne $day) {
    $body = [ordered]@{ build = $reported.build; checkedInAt = $observedAt }
    [ordered]@{ method = 'POST'; path = "$path/check-ins"; idempotencyKey = "${id}:check-in:${bootId}:$($reported.build):${day}"; body = $body }
  }
}

# What the next run compares with, once every request of this one was accepted.
function New-AgentState($Facts) {
  $reported = ConvertTo-AgentProfile $Facts
  [ordered]@{
    registered = $true; bootId = (Get-BootId $Facts); build = $reported.build; checkedInDay = (Format-Time $Facts.observedAt).Substring(0, 10)
    profile = [ordered]@{ vbs = $reported.vbs; chpeDisabled = $reported.chpeDisabled; hotpatchEnabled = $reported.hotpatchEnabled }
  }
}

function Send-AgentRequest($Request) {
  $headers = @{ Authorization = "Bearer $ApiKey"; 'Idempotency-Key' = $Request.idempotencyKey }
  $json = $Request.body | ConvertTo-Json -Depth 5 -Compress
  try {
    Invoke-RestMethod -Method $Request.method -Uri ($ApiUrl.TrimEnd('/') + $Request.path) -Headers $headers -ContentType 'application/json' -Body $json | Out-Null
    return 'accepted'
  } catch {
    # Strict mode: a network failure's exception has no Response to read.
    $status = 0
    $response = $_.Exception.PSObject.Properties['Response']
    if ($response -and $response.Value) { $status = [int]$response.Value.StatusCode }
    $code = $null
    if ($_.ErrorDetails -and $_.ErrorDetails.Message) { try { $code = ($_.ErrorDetails.Message | ConvertFrom-Json).code } catch { $code = $null } }
    # Registered before the agent's first run (a WUfB import, an operator): the device is known, go on.
    if ($code -eq 'DEVICE_EXISTS') { return 'exists' }
    throw "patchstate refused $($Request.method) $($Request.path) ($status $code): $($_.ErrorDetails.Message)"
  }
}

function Save-AgentState($State) {
  New-Item -ItemType Directory -Force -Path (Split-Path $script:StatePath) | Out-Null
  $State | ConvertTo-Json -Depth 5 | Set-Content -Path $script:StatePath -Encoding UTF8
}

function Invoke-Agent {
  if (-not $ApiUrl -or -not $ApiKey) { throw 'pass -ApiUrl and a device-agent key (-ApiKey or PATCHSTATE_AGENT_KEY)' }
  if (-not $script:StatePath) { $script:StatePath = Join-Path $env:ProgramData 'patchstate\agent-state.json' }
  $state = [pscustomobject]@{ registered = $false }
  if (Test-Path $script:StatePath) { $state = Get-Content $script:StatePath -Raw | ConvertFrom-Json }
  $facts = Get-DeviceFacts
  # A run that failed halfway is retried with the same observation, so its requests and keys are the same: what
  # was recorded is replayed. The observation is saved before anything is sent, and cleared by a complete run.
  $pending = Get-StateValue $state 'pending'
  if ($pending -and $pending.bootId -eq (Get-BootId $facts) -and (Format-Time $pending.observedAt).Substring(0, 10) -eq $facts.observedAt.Substring(0, 10)) {
    $facts.observedAt = Format-Time $pending.observedAt
  }
  $state | Add-Member -NotePropertyName pending -NotePropertyValue ([ordered]@{ bootId = (Get-BootId $facts); observedAt = $facts.observedAt }) -Force
  Save-AgentState $state
  foreach ($request in @(New-AgentRequests $facts $state)) {
    if ((Send-AgentRequest $request) -eq 'exists') {
      # Known already: what it last reported is unknown here, so this run reports the profile and the build.
      foreach ($next in @(New-AgentRequests $facts ([pscustomobject]@{ registered = $true }))) { Send-AgentRequest $next | Out-Null }
    }
  }
  Save-AgentState (New-AgentState $facts)
}

if ($MyInvocation.InvocationName -ne '.') {
  if ($RequestsFor) {
    $fixture = Get-Content $RequestsFor -Raw | ConvertFrom-Json
    ConvertTo-Json -InputObject @(New-AgentRequests $fixture.facts $fixture.state) -Depth 6 -Compress
  } else {
    Invoke-Agent
  }
}
