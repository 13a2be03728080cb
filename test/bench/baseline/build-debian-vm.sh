#!/bin/bash
# Builds the baseline of the boot benchmark: a plain Debian 12 VM (debootstrap root with systemd, Debian's
# kernel and initrd, docker.io) as an ext4 image made without mounting (mkfs.ext4 -d), converted to qcow2.
#
# Output (cached; rebuilt only with BENCH_REBUILD=1), in $BENCH_DEBIAN_DIR or test/bench/.cache/debian-vm:
#   disk.qcow2   the root file system (never booted: copy it for a cold boot)
#   vmlinuz      Debian's kernel, initrd.img  Debian's initramfs (initramfs-tools, MODULES=most)
#   info.json    package versions and sizes
# Readiness is a serial-console marker: the unit bench-ready.service (After=docker.service) waits until
# `docker version` answers on dockerd's own socket and prints "bench: docker ready (uptime Ns)" on
# ttyS0; bench-init.service (early, no default dependencies) prints "bench: init", and a drop-in
# prints "bench: dockerd starting" just before dockerd. dbus is included (a normal install has it through
# systemd's Recommends) so that logind powers the VM off on the ACPI power button: warm boots start from
# a clean shutdown. Needs root, debootstrap, e2fsprogs ≥ 1.43, qemu-img.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${BENCH_DEBIAN_DIR:-$here/../.cache/debian-vm}
mirror=${BENCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
size=${BENCH_DEBIAN_DISK_SIZE:-4G}

if [ -f "$out/disk.qcow2" ] && [ -z "${BENCH_REBUILD:-}" ]; then
  echo "baseline Debian VM already built in $out (BENCH_REBUILD=1 rebuilds it)"
  exit 0
fi
for tool in debootstrap mkfs.ext4 qemu-img; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing: apt-get install debootstrap e2fsprogs qemu-utils" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "error: debootstrap needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-debian-vm.XXXXXX)
root=$work/root
cleanup() {
  # debootstrap leaves proc/sys mounted when it fails midway.
  for m in proc sys dev/pts dev; do umount "$root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "debootstrap bookworm into $root (from $mirror)"
debootstrap --arch=amd64 --include=systemd,systemd-sysv,udev,dbus,linux-image-amd64,docker.io bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

echo "configuring the guest"
echo debian-bench >"$root/etc/hostname"
printf '/dev/vda / ext4 defaults,noatime 0 1\n' >"$root/etc/fstab"
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' >"$root/etc/systemd/network/10-bench.network"
chroot "$root" systemctl enable systemd-networkd >/dev/null 2>&1

cat >"$root/usr/local/sbin/bench-mark" <<'EOF'
#!/bin/sh
# One marker line on the serial console with the guest uptime (the format of Berth's own markers).
read -r up _ </proc/uptime
echo "bench: $* (uptime ${up}s)" >/dev/ttyS0
EOF
cat >"$root/usr/local/sbin/bench-ready" <<'EOF'
#!/bin/sh
# Waits until dockerd answers on its own socket, then marks the kernel's end and "docker ready".
until docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do sleep 0.1; done
k=$(dmesg | grep -m1 'Run /init as init process' | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
echo "bench: kernel done (uptime ${k:-0}s)" >/dev/ttyS0
/usr/local/sbin/bench-mark docker ready
EOF
chmod 755 "$root/usr/local/sbin/bench-mark" "$root/usr/local/sbin/bench-ready"

cat >"$root/etc/systemd/system/bench-init.service" <<'EOF'
[Unit]
Description=Benchmark marker: systemd runs in the real root
DefaultDependencies=no

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/bench-mark init

[Install]
WantedBy=sysinit.target
EOF
cat >"$root/etc/systemd/system/bench-ready.service" <<'EOF'
[Unit]
Description=Benchmark marker: Docker answers
Wants=docker.service
After=docker.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/bench-ready

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/docker.service.d"
printf '[Service]\nExecStartPre=/usr/local/sbin/bench-mark dockerd starting\n' >"$root/etc/systemd/system/docker.service.d/bench-marker.conf"
chroot "$root" systemctl enable bench-init.service bench-ready.service docker.service >/dev/null 2>&1

kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -n 1)
docker_version=$(chroot "$root" dpkg-query -W -f '${Version}' docker.io)
kernel_version=${kernel##*/vmlinuz-}

echo "making the ext4 image ($size) and qcow2"
mkfs.ext4 -q -F -L debian-root -d "$root" "$work/root.img" "$size"
mkdir -p "$out"
qemu-img convert -f raw -O qcow2 "$work/root.img" "$out/disk.qcow2.tmp"
cp "$kernel" "$out/vmlinuz"
cp "$initrd" "$out/initrd.img"
mv "$out/disk.qcow2.tmp" "$out/disk.qcow2"
cat >"$out/info.json" <<EOF
{
  "suite": "bookworm",
  "mirror": "$mirror",
  "kernelVersion": "$kernel_version",
  "dockerVersion": "$docker_version",
  "rootFsBytes": $(du -sb "$root" | cut -f1),
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
echo "built $out: kernel $kernel_version, docker.io $docker_version, disk $(du -h "$out/disk.qcow2" | cut -f1)"
