// Package selftest checks the VM's Docker engine end to end without a docker CLI.
// This file owns the `write` mode: an endless stream of random files, for crash-consistency tests.
package selftest

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DefaultWriteDir is where the write mode puts its files, on the Docker data disk.
const DefaultWriteDir = "/var/lib/docker/berth-selftest-writes"

// WritingLine is printed once when the write mode starts.
const WritingLine = "selftest: writing"

// Writer fills Dir with FileCount rotating files of FileSize random bytes
// (0000.bin, 0001.bin, ...), fsyncing every SyncEvery-th file. Zero fields get
// the defaults 1 MiB, 64 files and 8.
type Writer struct {
	Dir       string
	FileSize  int
	FileCount int
	SyncEvery int
	Out       io.Writer // gets WritingLine
}

// WriteStats counts what a Run did.
type WriteStats struct {
	Written int // files written
	Synced  int // of which fsynced
}

// Run writes until ctx is cancelled or, when limit > 0, until limit files are
// written. In the VM it runs with no limit until the host kills the VM; it
// only returns early on an I/O error, which names the file and the failing step.
func (w *Writer) Run(ctx context.Context, limit int) (WriteStats, error) {
	size, count, every := w.FileSize, w.FileCount, w.SyncEvery
	if size <= 0 {
		size = 1 << 20
	}
	if count <= 0 {
		count = 64
	}
	if every <= 0 {
		every = 8
	}
	var stats WriteStats
	if err := os.MkdirAll(w.Dir, 0o755); err != nil {
		return stats, fmt.Errorf("create write directory: %w", err)
	}
	fmt.Fprintln(w.Out, WritingLine)

	buf := make([]byte, size)
	for n := 0; limit <= 0 || n < limit; n++ {
		if ctx.Err() != nil {
			return stats, nil
		}
		if _, err := rand.Read(buf); err != nil {
			return stats, fmt.Errorf("generate random data: %w", err)
		}
		name := filepath.Join(w.Dir, fmt.Sprintf("%04d.bin", n%count))
		sync := (n+1)%every == 0
		if err := writeFile(name, buf, sync); err != nil {
			return stats, err
		}
		stats.Written++
		if sync {
			stats.Synced++
		}
	}
	return stats, nil
}

// writeFile replaces name with data, calling fsync before close when sync is set.
func writeFile(name string, data []byte, sync bool) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("open %s for writing: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("fsync %s: %w", name, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}
