// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns what the RPC methods read from or change in the system: kernel release, uptime, clock.
package linkserve

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func (srv *Server) procDir() string {
	if srv.ProcDir == "" {
		return "/proc"
	}
	return srv.ProcDir
}

// kernelRelease reads <proc>/sys/kernel/osrelease, e.g. "6.1.0-56-amd64".
func kernelRelease(proc string) (string, error) {
	b, err := os.ReadFile(filepath.Join(proc, "sys/kernel/osrelease"))
	if err != nil {
		return "", fmt.Errorf("reading the kernel release: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// uptimeSeconds reads the first field of <proc>/uptime.
func uptimeSeconds(proc string) (float64, error) {
	path := filepath.Join(proc, "uptime")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading the uptime: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0, fmt.Errorf("%s is empty", path)
	}
	up, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number of seconds", path, fields[0])
	}
	return up, nil
}

// setSystemClock sets the realtime clock with settimeofday(2); it needs CAP_SYS_TIME.
func setSystemClock(t time.Time) error {
	tv := syscall.NsecToTimeval(t.UnixNano())
	return syscall.Settimeofday(&tv)
}
