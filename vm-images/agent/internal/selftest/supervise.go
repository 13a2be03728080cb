// Package selftest checks the VM's Docker engine end to end without a docker CLI.
// This file owns the `supervise` mode: kill dockerd and see its supervisor bring it back.
package selftest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"berth/agent/internal/dockerapi"
)

// FindProcess returns the pids whose /proc/<pid>/comm equals name, read from procDir.
func FindProcess(procDir, name string) ([]int, error) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join(procDir, e.Name(), "comm"))
		if err != nil {
			continue
		}
		if strings.TrimSpace(string(comm)) == name {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Restart is what the supervise mode observed.
type Restart struct {
	OldPid, NewPid int
	Took           time.Duration
}

// Supervise kills dockerd with SIGKILL and waits until a new dockerd answers /_ping.
func Supervise(ctx context.Context, socket, procDir string) (Restart, error) {
	pids, err := FindProcess(procDir, "dockerd")
	if err != nil {
		return Restart{}, fmt.Errorf("list processes: %v", err)
	}
	if len(pids) != 1 {
		return Restart{}, fmt.Errorf("expected one dockerd process, found %d", len(pids))
	}
	old := pids[0]
	start := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		return Restart{}, fmt.Errorf("kill dockerd (pid %d): %v", old, err)
	}
	c := dockerapi.New(socket)
	defer c.CloseIdle()
	for {
		select {
		case <-ctx.Done():
			return Restart{}, fmt.Errorf("dockerd (killed pid %d) did not answer again within the time limit", old)
		case <-time.After(200 * time.Millisecond):
		}
		now, _ := FindProcess(procDir, "dockerd")
		if len(now) != 1 || now[0] == old {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		body, err := c.Ping(pctx)
		cancel()
		if err == nil && body == "OK" {
			return Restart{OldPid: old, NewPid: now[0], Took: time.Since(start)}, nil
		}
	}
}
