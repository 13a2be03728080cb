#!/bin/bash
# Two Berths idling side by side, for an A/B of berthd's idle cost: each variant is a bundle directory
# (scripts/bundle.mjs output, e.g. a worktree's dist/) started with its own BERTH_HOME on the same image;
# after 30 s to settle, five 60 s windows of berthd CPU (utime+stime ticks) and RSS. Both VMs stop at the end.
# Usage: test/bench/idleSideBySide.sh <A dist dir> <B dist dir>   (run under flock /tmp/berth-vm.lock)
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
export BERTH_IMAGE_DIR=${BERTH_IMAGE_DIR:-$here/vm-images/out/x86_64}
declare -A cli=([A]="$1/berth.mjs" [B]="$2/berth.mjs")
declare -A pid home
cleanup() {
  for v in A B; do
    [ -n "${home[$v]:-}" ] || continue
    q=$(cat "${home[$v]}/run/qemu.pid" 2>/dev/null)
    BERTH_HOME=${home[$v]} node "${cli[$v]}" quit >/dev/null 2>&1
    sleep 2
    [ -n "${pid[$v]:-}" ] && kill -0 "${pid[$v]}" 2>/dev/null && kill -9 "${pid[$v]}"
    [ -n "$q" ] && kill -0 "$q" 2>/dev/null && kill -9 "$q"
    rm -rf "${home[$v]}"
  done
}
trap cleanup EXIT
for v in A B; do
  home[$v]=$(mktemp -d /tmp/b-idle$v-XXXX)
  BERTH_HOME=${home[$v]} node "${cli[$v]}" start >"${home[$v]}/start.log" 2>&1 || { echo "$v: berth start failed:"; tail "${home[$v]}/start.log"; exit 1; }
  pid[$v]=$(cat "${home[$v]}/run/berthd.lock")
  echo "$v berthd ${pid[$v]}: $(tr '\0' ' ' < /proc/${pid[$v]}/cmdline)"
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
sleep 30
for w in 1 2 3 4 5; do
  a0=$(ticks "${pid[A]}"); b0=$(ticks "${pid[B]}")
  sleep 60
  a1=$(ticks "${pid[A]}"); b1=$(ticks "${pid[B]}")
  echo "window $w: A cpu $((a1 - a0)) ticks rss $(kb "${pid[A]}" VmRSS) kB anon $(kb "${pid[A]}" RssAnon) | B cpu $((b1 - b0)) ticks rss $(kb "${pid[B]}" VmRSS) kB anon $(kb "${pid[B]}" RssAnon)"
done
