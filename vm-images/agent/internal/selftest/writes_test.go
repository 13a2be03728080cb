// Tests for the write mode with small files: naming, wrap-around, fsync cadence,
// the single "selftest: writing" line and a clear error when the directory cannot be made.
package selftest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriterWrapsAndSyncs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "writes")
	var out bytes.Buffer
	w := &Writer{Dir: dir, FileSize: 4096, Out: &out}
	stats, err := w.Run(context.Background(), 70)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Written != 70 || stats.Synced != 8 {
		t.Errorf("stats = %+v, want 70 written, 8 synced", stats)
	}
	if out.String() != WritingLine+"\n" {
		t.Errorf("output = %q, want one %q line", out.String(), WritingLine)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 64 || entries[0].Name() != "0000.bin" || entries[63].Name() != "0063.bin" {
		t.Fatalf("directory has %d files (%s .. %s), want 0000.bin..0063.bin", len(entries), entries[0].Name(), entries[len(entries)-1].Name())
	}
	a, _ := os.ReadFile(filepath.Join(dir, "0000.bin"))
	b, _ := os.ReadFile(filepath.Join(dir, "0001.bin"))
	if len(a) != 4096 || bytes.Equal(a, b) {
		t.Errorf("files are not %d random bytes", 4096)
	}
}

func TestWriterStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := &Writer{Dir: t.TempDir(), FileSize: 16, Out: &bytes.Buffer{}}
	stats, err := w.Run(ctx, 0)
	if err != nil || stats.Written != 0 {
		t.Fatalf("Run with cancelled context = %+v, %v", stats, err)
	}
}

func TestWriterDirectoryError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := &Writer{Dir: filepath.Join(file, "sub"), Out: &bytes.Buffer{}}
	_, err := w.Run(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "create write directory") {
		t.Fatalf("error = %v", err)
	}
}
