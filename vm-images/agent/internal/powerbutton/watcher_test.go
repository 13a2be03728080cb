// Tests for the Watcher I/O loop using regular files named event* in a temp dir as fake devices.
// They check one command run per press burst and that a late-appearing device is picked up.
package powerbutton

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the watcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// recorder counts command runs.
type recorder struct {
	mu   sync.Mutex
	runs [][]string
}

func (r *recorder) run(argv []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, argv)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pressBurst() []byte {
	return bytes.Join([][]byte{
		rawEvent(1, 0, EvKey, 30, KeyPressed), // KEY_A: ignored
		rawEvent(1, 1, EvKey, KeyPower, KeyPressed),
		rawEvent(1, 2, EvSyn, 0, 0),
		rawEvent(1, 3, EvKey, KeyPower, KeyReleased),
		rawEvent(1, 4, EvKey, KeyPower, KeyPressed), // second press inside the quiet period
	}, nil)
}

func startWatcher(t *testing.T, dir string, rec *recorder) (stdout, stderr *syncBuffer, stop func()) {
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	w := &Watcher{
		Dir: dir, Command: []string{"/sbin/poweroff", "-f"},
		Stdout: stdout, Stderr: stderr,
		ScanInterval: 20 * time.Millisecond, Run: rec.run,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Watch(ctx) }()
	return stdout, stderr, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch returned %v", err)
		}
	}
}

func TestWatcherRunsCommandOncePerBurst(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "event0"), pressBurst(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mouse0"), pressBurst(), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	stdout, stderr, stop := startWatcher(t, dir, rec)
	waitFor(t, "the command to run", func() bool { return rec.count() > 0 })
	time.Sleep(100 * time.Millisecond) // let any wrong extra runs happen
	stop()

	if n := rec.count(); n != 1 {
		t.Errorf("command ran %d times, want 1 (mouse0 ignored, repeat press inside 30s ignored)", n)
	}
	if got := rec.runs[0]; strings.Join(got, " ") != "/sbin/poweroff -f" {
		t.Errorf("argv = %q", got)
	}
	if got := stdout.String(); got != PressedLine+"\n" {
		t.Errorf("stdout = %q, want exactly one %q line", got, PressedLine)
	}
	if !strings.Contains(stderr.String(), "watching "+filepath.Join(dir, "event0")) {
		t.Errorf("stderr = %q, want a watching line", stderr.String())
	}
}

func TestWatcherRetriesUntilDeviceAppears(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	_, stderr, stop := startWatcher(t, dir, rec)
	defer stop()

	waitFor(t, "the no-devices message", func() bool { return strings.Contains(stderr.String(), "no input event devices") })
	time.Sleep(60 * time.Millisecond) // a few rescans with nothing there
	if n := strings.Count(stderr.String(), "no input event devices"); n != 1 {
		t.Errorf("no-devices message printed %d times, want once", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "event3"), pressBurst(), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the command to run after the device appeared", func() bool { return rec.count() == 1 })
}

func TestWatcherNeedsCommand(t *testing.T) {
	w := &Watcher{Dir: t.TempDir(), Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
	if err := w.Watch(context.Background()); err == nil || !strings.Contains(err.Error(), "-exec") {
		t.Fatalf("Watch without command error = %v", err)
	}
}
