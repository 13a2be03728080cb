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

# The block device whose virtio serial is $1 (e.g. berth-data), as /dev/vdX.
disk_by_serial() {
  for _s in /sys/block/vd*/serial; do
    [ -r "$_s" ] || continue
    if [ "$(cat "$_s")" = "$1" ]; then
      _d=${_s%/serial}
      echo "/dev/${_d##*/}"
      return 0
    fi
  done
  return 1
}
