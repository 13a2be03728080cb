# Shell functions shared by Berth's guest scripts (sourced, not run).
# Markers are one line on the console, "berth: <what> (uptime <s>s)", so the host can follow the boot.

mark() {
  read -r _up _ </proc/uptime
  echo "berth: $* (uptime ${_up}s)" >/dev/console
}

# Value of a kernel command line parameter: "name=value" prints value, a bare "name" prints 1.
cmdline_value() {
  for _w in $(cat /proc/cmdline); do
    case "$_w" in
      "$1="*) echo "${_w#*=}"; return 0 ;;
      "$1") echo 1; return 0 ;;
    esac
  done
  return 1
}

# sysfs, where the disks are looked for (tests of these functions point it at a tree of their own).
BERTH_SYS=${BERTH_SYS:-/sys}

# The block device whose virtio serial is $1 (e.g. berth-data), as /dev/vdX.
disk_by_serial() {
  for _s in "$BERTH_SYS"/block/vd*/serial; do
    [ -r "$_s" ] || continue
    if [ "$(cat "$_s")" = "$1" ]; then
      _d=${_s%/serial}
      echo "/dev/${_d##*/}"
      return 0
    fi
  done
  return 1
}

# The block device at a disk locator (docs/drivers.md, "Guest disks"), as /dev/<name>:
#   serial:<name>                  the virtio disk with that serial (QEMU)
#   pci:<dddd>:<bb>:<ss>.<f>       the virtio-blk disk at that PCI address (HyperKit: its -s slot)
#   scsi:<channel>:<target>:<lun>  the SCSI disk at that address on any SCSI host (Hyper-V: storvsc)
# Returns 1 when it is not there (yet), 2 for a malformed locator, 3 when two SCSI hosts both have one.
disk_at() {
  case "$1" in
    serial:*)
      _v=${1#serial:}
      case "$_v" in "" | *[!A-Za-z0-9._-]*) return 2 ;; esac
      disk_by_serial "$_v"
      ;;
    pci:*)
      _v=${1#pci:}
      case "$_v" in [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) ;; *) return 2 ;; esac
      for _b in "$BERTH_SYS"/bus/pci/devices/"$_v"/virtio*/block/*; do
        [ -e "$_b" ] && { echo "/dev/${_b##*/}"; return 0; }
      done
      return 1
      ;;
    scsi:*)
      _v=${1#scsi:}
      case "$_v" in *:*:*:* | *[!0-9:]*) return 2 ;; [0-9]*:[0-9]*:[0-9]*) ;; *) return 2 ;; esac
      _found=""
      for _b in "$BERTH_SYS"/bus/scsi/devices/[0-9]*:"$_v"/block/*; do
        [ -e "$_b" ] || continue
        [ -z "$_found" ] || return 3
        _found="/dev/${_b##*/}"
      done
      [ -n "$_found" ] && { echo "$_found"; return 0; }
      return 1
      ;;
    *) return 2 ;;
  esac
}

# The disk the host named with kernel parameter $1 (berth.disk, berth.config) at locator $2, waiting
# up to $3 tenths of a second (default 100: SCSI hosts and virtio probes may finish after the modules
# step). Prints /dev/<name>; on failure says why on stderr.
find_disk() {
  _i=0
  while :; do
    _dev=$(disk_at "$2")
    case $? in
      0) echo "$_dev"; return 0 ;;
      2) echo "$1=$2 is not serial:<name>, pci:<dddd:bb:ss.f> or scsi:<channel>:<target>:<lun>" >&2; return 2 ;;
      3) echo "$1=$2: more than one SCSI host has a disk at that address; Berth will not guess which" >&2; return 3 ;;
    esac
    _i=$((_i + 1))
    if [ "$_i" -ge "${3:-100}" ]; then
      echo "$1=$2: there is no disk at that address" >&2
      return 1
    fi
    sleep 0.1
  done
}
