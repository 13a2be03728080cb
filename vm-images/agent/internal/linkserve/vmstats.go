// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns what vm.stats reads: cumulative CPU jiffies (/proc/stat), MemTotal/MemAvailable, the data disk's statfs.
package linkserve

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// cpuJiffies are the counters of the "cpu" line of /proc/stat summed over all CPUs since boot.
type cpuJiffies struct {
	// BusyJiffies is TotalJiffies less idle and iowait.
	BusyJiffies uint64 `json:"busyJiffies"`
	// TotalJiffies sums user, nice, system, idle, iowait, irq, softirq and steal (guest time is inside user and nice).
	TotalJiffies uint64 `json:"totalJiffies"`
}

// readCPUJiffies reads the aggregate "cpu" line of <proc>/stat.
func readCPUJiffies(proc string) (cpuJiffies, error) {
	path := filepath.Join(proc, "stat")
	f, err := os.Open(path)
	if err != nil {
		return cpuJiffies{}, fmt.Errorf("reading the CPU counters: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "cpu" {
			continue
		}
		// user nice system idle [iowait irq softirq steal guest guest_nice]: kernels before 2.6.11 stop after idle.
		if len(fields) < 5 {
			return cpuJiffies{}, fmt.Errorf("%s: the cpu line has %d counters, want at least 4", path, len(fields)-1)
		}
		var counters [8]uint64
		for i := 0; i < len(counters) && i+1 < len(fields); i++ {
			n, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				return cpuJiffies{}, fmt.Errorf("%s: cpu counter %q is not a number", path, fields[i+1])
			}
			counters[i] = n
		}
		var total uint64
		for _, n := range counters {
			total += n
		}
		idle := counters[3] + counters[4]
		return cpuJiffies{BusyJiffies: total - idle, TotalJiffies: total}, nil
	}
	if err := sc.Err(); err != nil {
		return cpuJiffies{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return cpuJiffies{}, fmt.Errorf("%s has no cpu line", path)
}

// memStats are MemTotal and MemAvailable of /proc/meminfo, in bytes.
type memStats struct {
	TotalBytes     uint64 `json:"totalBytes"`
	AvailableBytes uint64 `json:"availableBytes"`
}

// readMemStats reads MemTotal and MemAvailable ("MemAvailable:  1500000 kB") from <proc>/meminfo.
func readMemStats(proc string) (memStats, error) {
	path := filepath.Join(proc, "meminfo")
	b, err := os.ReadFile(path)
	if err != nil {
		return memStats{}, fmt.Errorf("reading the memory figures: %w", err)
	}
	values := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		key, rest, ok := strings.Cut(line, ":")
		if !ok || (key != "MemTotal" && key != "MemAvailable") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return memStats{}, fmt.Errorf("%s: %s %q is not a number", path, key, fields[0])
		}
		if len(fields) > 1 && strings.EqualFold(fields[1], "kB") {
			n *= 1024
		}
		values[key] = n
	}
	for _, key := range []string{"MemTotal", "MemAvailable"} {
		if _, ok := values[key]; !ok {
			return memStats{}, fmt.Errorf("%s has no %s line (MemAvailable needs Linux 3.14 or later)", path, key)
		}
	}
	return memStats{TotalBytes: values["MemTotal"], AvailableBytes: values["MemAvailable"]}, nil
}

// diskStats is the statfs of the data disk: used counts the blocks in use (root's reserve not included), free what unprivileged users may still use.
type diskStats struct {
	TotalBytes uint64 `json:"totalBytes"`
	UsedBytes  uint64 `json:"usedBytes"`
	FreeBytes  uint64 `json:"freeBytes"`
}

func statDiskStats(dir string) (diskStats, error) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return diskStats{}, err
	}
	bs := uint64(fs.Bsize)
	return diskStats{TotalBytes: fs.Blocks * bs, UsedBytes: (fs.Blocks - fs.Bfree) * bs, FreeBytes: fs.Bavail * bs}, nil
}
