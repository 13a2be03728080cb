// Tests of the command line: -exit-on-stdin-eof stops the bridge when its standard input ends (berthd,
// which holds the other end, is gone), and without it the bridge keeps serving.
package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a stderr the test reads while run writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// withStdin runs f with os.Stdin replaced by a pipe; close ends that pipe's writing side.
func withStdin(t *testing.T, f func(close func())) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = saved; r.Close(); w.Close() })
	f(func() { w.Close() })
}

func TestExitOnStdinEOF(t *testing.T) {
	dir := tempDir(t)
	listen := filepath.Join(dir, "pub.sock")
	withStdin(t, func(closeStdin func()) {
		var stderr lockedBuffer
		done := make(chan int, 1)
		go func() {
			done <- run([]string{"-listen", "unix:" + listen, "-dial", "unix:" + filepath.Join(dir, "none.sock"), "-exit-on-stdin-eof"}, &stderr)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(stderr.String(), " -> ") {
			if time.Now().After(deadline) {
				t.Fatalf("the bridge did not say it listens: %q", stderr.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		select {
		case code := <-done:
			t.Fatalf("the bridge stopped (%d) while its stdin was open", code)
		case <-time.After(200 * time.Millisecond):
		}
		closeStdin()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("exit code %d, want 0; stderr %q", code, stderr.String())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the bridge did not stop when its stdin ended")
		}
		if !strings.Contains(stderr.String(), "standard input ended (berthd is gone); stopping") {
			t.Fatalf("stderr %q does not say why it stopped", stderr.String())
		}
	})
}
