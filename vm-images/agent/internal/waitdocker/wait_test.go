// Tests for Wait: an engine that becomes ready after a delay, a socket that appears late,
// and a clean timeout that reports the last error.
package waitdocker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/agent/internal/dockerapi"
	"berth/agent/internal/fakeengine"
)

func TestWaitSucceedsAfterEngineBecomesReady(t *testing.T) {
	e, err := fakeengine.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.SetReadyAfter(350 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	v, err := Wait(ctx, dockerapi.New(e.SocketPath), 0)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("Wait returned after %v, before the engine was ready", elapsed)
	}
	if v.Version != fakeengine.FakeVersion || v.APIVersion != fakeengine.FakeAPIVersion {
		t.Errorf("version = %+v", v)
	}
	pings := 0
	for _, r := range e.Requests() {
		if r == "GET /_ping" {
			pings++
		}
	}
	if pings < 3 {
		t.Errorf("only %d pings in 350ms; expected polling every 100ms", pings)
	}
}

func TestWaitSucceedsWhenSocketAppearsLate(t *testing.T) {
	dir, err := os.MkdirTemp("", "berth-wd-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "docker.sock")

	started := make(chan *fakeengine.Engine, 1)
	go func() {
		time.Sleep(250 * time.Millisecond)
		e, err := fakeengine.StartAt(sock)
		if err != nil {
			t.Error(err)
		}
		started <- e
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Wait(ctx, dockerapi.New(sock), 0)
	if e := <-started; e != nil {
		defer e.Close()
	}
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func TestWaitTimesOutWithLastError(t *testing.T) {
	e, err := fakeengine.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.SetReadyAfter(time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Wait(ctx, dockerapi.New(e.SocketPath), 0)
	if err == nil {
		t.Fatal("Wait succeeded against an engine that never gets ready")
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Wait took %v to give up on a 300ms timeout", elapsed)
	}
	if !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "starting") {
		t.Errorf("error = %q, want the last 503 answer, not a bare deadline", err)
	}
}

func TestWaitTimesOutWithoutSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	_, err := Wait(ctx, dockerapi.New(sock), 0)
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Fatalf("error = %v, want the dial error", err)
	}
}
