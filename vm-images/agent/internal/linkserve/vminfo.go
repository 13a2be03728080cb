// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns what disk.trim and vm.info read from or do to the system: CPUs, memory, the data disk, FITRIM.
package linkserve

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// DefaultTrimPath is the directory on the data disk that disk.trim trims and vm.info measures.
const DefaultTrimPath = "/var/lib/docker"

// fitrim is FITRIM, _IOWR('X', 121, struct fstrim_range).
const fitrim = 0xC0185879

func (srv *Server) trimPath() string {
	if srv.TrimPath == "" {
		return DefaultTrimPath
	}
	return srv.TrimPath
}

// errTrimUnsupported: the filesystem or the disk under it cannot discard.
var errTrimUnsupported = errors.New("trim unsupported")

// trimFilesystem runs FITRIM on the filesystem holding dir and returns the bytes the kernel
// reports as trimmed (the range length it wrote back).
func trimFilesystem(dir string) (uint64, error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("opening %s to trim its filesystem: %w; check that the data disk is mounted there", dir, err)
	}
	defer syscall.Close(fd)
	// Blocks of files deleted moments ago are free only once the journal commits: commit first, so
	// that a trim right after `docker image rm` gives their space back too.
	if _, _, errno := syscall.Syscall(sysSyncfs, uintptr(fd), 0, 0); errno != 0 {
		return 0, fmt.Errorf("syncing the filesystem of %s before trimming it: %v", dir, errno)
	}
	rng := struct{ start, length, minlen uint64 }{length: ^uint64(0)}
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), fitrim, uintptr(unsafe.Pointer(&rng)))
	switch errno {
	case 0:
		return rng.length, nil
	case syscall.EOPNOTSUPP, syscall.ENOTTY:
		return 0, fmt.Errorf("%w: the filesystem of %s or its disk cannot discard (FITRIM: %v); give the VM disk discard support (e.g. virtio with discard=unmap)", errTrimUnsupported, dir, errno)
	case syscall.EPERM:
		return 0, fmt.Errorf("trimming the filesystem of %s: %v; the agent must run as root (CAP_SYS_ADMIN)", dir, errno)
	}
	return 0, fmt.Errorf("trimming the filesystem of %s: FITRIM: %v", dir, errno)
}

// diskUsage is the statfs of a directory's filesystem.
type diskUsage struct {
	TotalBytes uint64 `json:"totalBytes"`
	FreeBytes  uint64 `json:"freeBytes"`
}

// statDisk reports the total size and the space available to unprivileged users of dir's filesystem.
func statDisk(dir string) (diskUsage, error) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return diskUsage{}, err
	}
	bs := uint64(fs.Bsize)
	return diskUsage{TotalBytes: fs.Blocks * bs, FreeBytes: fs.Bavail * bs}, nil
}

// onlineCPUs counts the "processor" lines of <proc>/cpuinfo, or falls back to the CPUs the agent
// may run on (sched_getaffinity, as the Go runtime read it at start).
func onlineCPUs(proc string) int {
	f, err := os.Open(filepath.Join(proc, "cpuinfo"))
	if err == nil {
		defer f.Close()
		n := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if key, _, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(key) == "processor" {
				n++
			}
		}
		if n > 0 && sc.Err() == nil {
			return n
		}
	}
	return runtime.NumCPU()
}

// memTotalBytes reads MemTotal from <proc>/meminfo ("MemTotal:  2030000 kB").
func memTotalBytes(proc string) (uint64, error) {
	path := filepath.Join(proc, "meminfo")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading the memory size: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "MemTotal:") {
			continue
		}
		fields := strings.Fields(line[len("MemTotal:"):])
		if len(fields) == 0 {
			break
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: MemTotal %q is not a number", path, fields[0])
		}
		if len(fields) > 1 && strings.EqualFold(fields[1], "kB") {
			n *= 1024
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s has no MemTotal line", path)
}
