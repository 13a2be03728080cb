# berth-hyperv:hostFacts
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$id = [Security.Principal.WindowsIdentity]::GetCurrent()
$p = New-Object Security.Principal.WindowsPrincipal($id)
$vmms = Get-Service -Name vmms -ErrorAction SilentlyContinue
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
[pscustomobject]@{
  edition = [string]$os.Caption
  build = [string]$os.BuildNumber
  isAdmin = $p.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
  inHyperVAdministrators = $p.IsInRole((New-Object Security.Principal.SecurityIdentifier('S-1-5-32-578')))
  vmms = $(if ($vmms) { $vmms.Status.ToString() } else { 'Missing' })
  hypervisorPresent = [bool]$cs.HypervisorPresent
  hypervModule = [bool](Get-Command -Name New-VM -ErrorAction SilentlyContinue)
} | ConvertTo-Json -Compress

---
# berth-hyperv:ensureDisk
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Path = 'C:\Users\ann\Berth\data.vhdx'
$SizeBytes = 68719476736
if (Test-Path -LiteralPath $Path) {
  $before = (Get-VHD -Path $Path).Size
  if ($before -lt $SizeBytes) { Resize-VHD -Path $Path -SizeBytes $SizeBytes; $action = 'grown' }
  elseif ($before -gt $SizeBytes) { $action = 'kept-larger' }
  else { $action = 'unchanged' }
} else {
  New-VHD -Path $Path -SizeBytes $SizeBytes -Dynamic | Out-Null
  $action = 'created'
}
[pscustomobject]@{ action = $action; sizeBytes = (Get-VHD -Path $Path).Size } | ConvertTo-Json -Compress

---
# berth-hyperv:serviceRegistered
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\GuestCommunicationServices'
$ServiceGuid = '00000be7-facb-11e6-bd58-64006a7986d3'
[pscustomobject]@{ registered = (Test-Path -LiteralPath (Join-Path $Key $ServiceGuid)) } | ConvertTo-Json -Compress

---
# berth-hyperv:registerService
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\GuestCommunicationServices'
$ServiceGuid = '00000be7-facb-11e6-bd58-64006a7986d3'
$Description = 'Berth guest link (berth-agent)'
$item = Join-Path $Key $ServiceGuid
if (-not (Test-Path -LiteralPath $item)) { New-Item -Path $Key -Name $ServiceGuid | Out-Null }
New-ItemProperty -LiteralPath $item -Name 'ElementName' -Value $Description -PropertyType String -Force | Out-Null
[pscustomobject]@{ registered = $true } | ConvertTo-Json -Compress

---
# berth-hyperv:elevated
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Encoded = 'IwAgAGIAZQByAHQAaAAtAGgAeQBwAGUAcgB2ADoAcgBlAGcAaQBzAHQAZQByAFMAZQByAHYAaQBjAGUACgAkAEUAcgByAG8AcgBBAGMAdABpAG8AbgBQAHIAZQBmAGUAcgBlAG4AYwBlACAAPQAgACcAUwB0AG8AcAAnAAoAJABQAHIAbwBnAHIAZQBzAHMAUAByAGUAZgBlAHIAZQBuAGMAZQAgAD0AIAAnAFMAaQBsAGUAbgB0AGwAeQBDAG8AbgB0AGkAbgB1AGUAJwAKACQASwBlAHkAIAA9ACAAJwBIAEsATABNADoAXABTAE8ARgBUAFcAQQBSAEUAXABNAGkAYwByAG8AcwBvAGYAdABcAFcAaQBuAGQAbwB3AHMAIABOAFQAXABDAHUAcgByAGUAbgB0AFYAZQByAHMAaQBvAG4AXABWAGkAcgB0AHUAYQBsAGkAegBhAHQAaQBvAG4AXABHAHUAZQBzAHQAQwBvAG0AbQB1AG4AaQBjAGEAdABpAG8AbgBTAGUAcgB2AGkAYwBlAHMAJwAKACQAUwBlAHIAdgBpAGMAZQBHAHUAaQBkACAAPQAgACcAMAAwADAAMAAwAGIAZQA3AC0AZgBhAGMAYgAtADEAMQBlADYALQBiAGQANQA4AC0ANgA0ADAAMAA2AGEANwA5ADgANgBkADMAJwAKACQARABlAHMAYwByAGkAcAB0AGkAbwBuACAAPQAgACcAQgBlAHIAdABoACAAZwB1AGUAcwB0ACAAbABpAG4AawAgACgAYgBlAHIAdABoAC0AYQBnAGUAbgB0ACkAJwAKACQAaQB0AGUAbQAgAD0AIABKAG8AaQBuAC0AUABhAHQAaAAgACQASwBlAHkAIAAkAFMAZQByAHYAaQBjAGUARwB1AGkAZAAKAGkAZgAgACgALQBuAG8AdAAgACgAVABlAHMAdAAtAFAAYQB0AGgAIAAtAEwAaQB0AGUAcgBhAGwAUABhAHQAaAAgACQAaQB0AGUAbQApACkAIAB7ACAATgBlAHcALQBJAHQAZQBtACAALQBQAGEAdABoACAAJABLAGUAeQAgAC0ATgBhAG0AZQAgACQAUwBlAHIAdgBpAGMAZQBHAHUAaQBkACAAfAAgAE8AdQB0AC0ATgB1AGwAbAAgAH0ACgBOAGUAdwAtAEkAdABlAG0AUAByAG8AcABlAHIAdAB5ACAALQBMAGkAdABlAHIAYQBsAFAAYQB0AGgAIAAkAGkAdABlAG0AIAAtAE4AYQBtAGUAIAAnAEUAbABlAG0AZQBuAHQATgBhAG0AZQAnACAALQBWAGEAbAB1AGUAIAAkAEQAZQBzAGMAcgBpAHAAdABpAG8AbgAgAC0AUAByAG8AcABlAHIAdAB5AFQAeQBwAGUAIABTAHQAcgBpAG4AZwAgAC0ARgBvAHIAYwBlACAAfAAgAE8AdQB0AC0ATgB1AGwAbAAKAFsAcABzAGMAdQBzAHQAbwBtAG8AYgBqAGUAYwB0AF0AQAB7ACAAcgBlAGcAaQBzAHQAZQByAGUAZAAgAD0AIAAkAHQAcgB1AGUAIAB9ACAAfAAgAEMAbwBuAHYAZQByAHQAVABvAC0ASgBzAG8AbgAgAC0AQwBvAG0AcAByAGUAcwBzAAoA'
$proc = Start-Process -FilePath 'powershell.exe' -Verb RunAs -Wait -PassThru -ArgumentList @('-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', $Encoded)
[pscustomobject]@{ exitCode = $proc.ExitCode } | ConvertTo-Json -Compress
