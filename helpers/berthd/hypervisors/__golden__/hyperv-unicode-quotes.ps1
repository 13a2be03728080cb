# berth-hyperv:create
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$VmDir = 'C:\Users\O''Brien $(x)\AppData\Local\Berth\vm'
$Cpus = 2
$MemoryBytes = 4294967296
$DataDisk = 'C:\Users\O''Brien $(x)\AppData\Local\Berth\data.vhdx'
$ConfigDisk = 'C:\Users\O''Brien $(x)\AppData\Local\Berth\config.vhd'
$BootIso = 'C:\Program Files\Berth\resources\berth.iso'
$ConsolePipe = '\\.\pipe\berth_console'
$SwitchName = 'Default Switch'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
if ($vm.Count -gt 0) { throw ('a Hyper-V VM named {0} already exists' -f $Name) }
$vm = New-VM -Name $Name -Generation 2 -MemoryStartupBytes $MemoryBytes -NoVHD -Path $VmDir
Set-VM -VM $vm -ProcessorCount $Cpus -StaticMemory -AutomaticCheckpointsEnabled $false -CheckpointType Disabled -AutomaticStartAction Nothing -AutomaticStopAction ShutDown
Set-VMFirmware -VM $vm -EnableSecureBoot Off
$dvd = Add-VMDvdDrive -VM $vm -ControllerNumber 0 -ControllerLocation 0 -Path $BootIso -Passthru
Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 1 -Path $DataDisk
Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 2 -Path $ConfigDisk
Set-VMFirmware -VM $vm -FirstBootDevice $dvd
Set-VMComPort -VM $vm -Number 1 -Path $ConsolePipe
$sw = @(Get-VMSwitch | Where-Object { $_.Name -ceq $SwitchName })
if ($sw.Count -eq 0) { throw ('there is no Hyper-V switch named {0}' -f $SwitchName) }
Get-VMNetworkAdapter -VM $vm | Connect-VMNetworkAdapter -VMSwitch $sw[0]
[pscustomobject]@{ id = $vm.Id.ToString(); name = $vm.Name } | ConvertTo-Json -Compress

---
# berth-hyperv:configure
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$Cpus = 2
$MemoryBytes = 4294967296
$BootIso = 'C:\Program Files\Berth\resources\berth.iso'
$ConfigDisk = 'C:\Users\O''Brien $(x)\AppData\Local\Berth\config.vhd'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
if ($vm.Count -eq 0) { throw ('there is no Hyper-V VM named {0}' -f $Name) }
$vm = $vm[0]
if ($vm.State -ne 'Off') { throw ('the Hyper-V VM {0} is {1}; it must be off to be configured' -f $Name, $vm.State) }
Set-VM -VM $vm -ProcessorCount $Cpus -StaticMemory -MemoryStartupBytes $MemoryBytes
$dvd = @(Get-VMDvdDrive -VM $vm | Where-Object { $_.ControllerNumber -eq 0 -and $_.ControllerLocation -eq 0 })
if ($dvd.Count -eq 0) { throw ('the Hyper-V VM {0} has no DVD drive for the boot ISO; remove that VM so that Berth creates it again' -f $Name) }
Set-VMDvdDrive -VMDvdDrive $dvd[0] -Path $BootIso
$cfg = @(Get-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 2)
if ($cfg.Count -eq 0) { Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 2 -Path $ConfigDisk }
else { Set-VMHardDiskDrive -VMHardDiskDrive $cfg[0] -Path $ConfigDisk }
$vm = @(Get-VM -Id $vm.Id)
if ($vm.Count -eq 0) { [pscustomobject]@{ state = 'Missing' } | ConvertTo-Json -Compress; exit 0 }
$v = @($vm)[0]
[pscustomobject]@{ state = $v.State.ToString(); id = $v.Id.ToString(); uptimeSeconds = [int]$v.Uptime.TotalSeconds; cpus = $v.ProcessorCount; memoryBytes = $v.MemoryStartup } | ConvertTo-Json -Compress

---
# berth-hyperv:start
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
if ($vm.Count -eq 0) { throw ('there is no Hyper-V VM named {0}' -f $Name) }
$vm = $vm[0]
Start-VM -VM $vm
$vm = @(Get-VM -Id $vm.Id)
if ($vm.Count -eq 0) { [pscustomobject]@{ state = 'Missing' } | ConvertTo-Json -Compress; exit 0 }
$v = @($vm)[0]
[pscustomobject]@{ state = $v.State.ToString(); id = $v.Id.ToString(); uptimeSeconds = [int]$v.Uptime.TotalSeconds; cpus = $v.ProcessorCount; memoryBytes = $v.MemoryStartup } | ConvertTo-Json -Compress

---
# berth-hyperv:state
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
if ($vm.Count -eq 0) { [pscustomobject]@{ state = 'Missing' } | ConvertTo-Json -Compress; exit 0 }
$v = @($vm)[0]
[pscustomobject]@{ state = $v.State.ToString(); id = $v.Id.ToString(); uptimeSeconds = [int]$v.Uptime.TotalSeconds; cpus = $v.ProcessorCount; memoryBytes = $v.MemoryStartup } | ConvertTo-Json -Compress

---
# berth-hyperv:stop
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
if ($vm.Count -eq 0) { throw ('there is no Hyper-V VM named {0}' -f $Name) }
$vm = $vm[0]
Stop-VM -VM $vm -Force -AsJob | Out-Null
$vm = @(Get-VM -Id $vm.Id)
if ($vm.Count -eq 0) { [pscustomobject]@{ state = 'Missing' } | ConvertTo-Json -Compress; exit 0 }
$v = @($vm)[0]
[pscustomobject]@{ state = $v.State.ToString(); id = $v.Id.ToString(); uptimeSeconds = [int]$v.Uptime.TotalSeconds; cpus = $v.ProcessorCount; memoryBytes = $v.MemoryStartup } | ConvertTo-Json -Compress

---
# berth-hyperv:turnOff
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
if ($vm.Count -eq 0) { throw ('there is no Hyper-V VM named {0}' -f $Name) }
$vm = $vm[0]
Stop-VM -VM $vm -TurnOff -Force
$vm = @(Get-VM -Id $vm.Id)
if ($vm.Count -eq 0) { [pscustomobject]@{ state = 'Missing' } | ConvertTo-Json -Compress; exit 0 }
$v = @($vm)[0]
[pscustomobject]@{ state = $v.State.ToString(); id = $v.Id.ToString(); uptimeSeconds = [int]$v.Uptime.TotalSeconds; cpus = $v.ProcessorCount; memoryBytes = $v.MemoryStartup } | ConvertTo-Json -Compress

---
# berth-hyperv:remove
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Name = 'berth ‘‘single’’ ‚‚low‛‛ “double” „low” ü'
$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })
if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }
foreach ($v in $vm) { if ($v.State -ne 'Off') { Stop-VM -VM $v -TurnOff -Force }; Remove-VM -VM $v -Force }
[pscustomobject]@{ removed = $vm.Count } | ConvertTo-Json -Compress
