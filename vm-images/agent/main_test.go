// Tests for the command layer: usage and exit codes, and the exact lines the host-side
// boot test greps for, produced against the fake engine.
package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/agent/internal/fakeengine"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageAndExitCodes(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"selftest"}, {"selftest", "frobnicate"}, {"wait-docker", "-nope"}, {"wait-docker", "extra"}} {
		code, _, stderr := runCmd(args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if !strings.Contains(stderr, "usage: berth-agent") {
			t.Errorf("%q: stderr lacks usage: %q", args, stderr)
		}
	}
	code, stdout, _ := runCmd("help")
	if code != 0 {
		t.Errorf("help: exit %d", code)
	}
	for _, name := range []string{"wait-docker", "power-button", "selftest"} {
		if !strings.Contains(stdout, name) {
			t.Errorf("usage does not list %s", name)
		}
	}
}

func startFake(t *testing.T) *fakeengine.Engine {
	t.Helper()
	e, err := fakeengine.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestWaitDockerLines(t *testing.T) {
	e := startFake(t)
	e.SetReadyAfter(200 * time.Millisecond)
	code, stdout, stderr := runCmd("wait-docker", "-socket", e.SocketPath, "-timeout", "5s")
	if code != 0 || stdout != "docker ready version=24.0.7-fake api=1.43\n" {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}

	e.SetReadyAfter(time.Hour)
	code, stdout, stderr = runCmd("wait-docker", "-socket", e.SocketPath, "-timeout", "300ms")
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "docker not ready after 300ms: GET /_ping: HTTP 503") {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestSelftestLines(t *testing.T) {
	e := startFake(t)
	bb := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(bb, []byte("fake busybox"), 0o755); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd("selftest", "verify", "-socket", e.SocketPath, "-token", "abc")
	if code != 1 || stderr != "selftest: FAIL image berth-selftest:latest missing (not persisted)\n" {
		t.Fatalf("verify before import: exit %d stdout %q stderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = runCmd("selftest", "import", "-socket", e.SocketPath, "-token", "abc", "-busybox", bb)
	if code != 0 || stdout != "selftest: ok token=abc\n" {
		t.Fatalf("import: exit %d stdout %q stderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = runCmd("selftest", "-socket", e.SocketPath, "-token", "abc", "verify")
	if code != 0 || stdout != "selftest: persisted token=abc\n" {
		t.Fatalf("verify: exit %d stdout %q stderr %q", code, stdout, stderr)
	}

	code, stdout, _ = runCmd("selftest", "import", "-socket", e.SocketPath, "-busybox", bb)
	if code != 0 || !strings.HasPrefix(stdout, "selftest: ok token=") || len(stdout) != len("selftest: ok token=")+16+1 {
		t.Fatalf("import with random token: exit %d stdout %q", code, stdout)
	}

	e.FailRoute("POST /containers/create", 500)
	code, _, stderr = runCmd("selftest", "import", "-socket", e.SocketPath, "-token", "abc", "-busybox", bb)
	if code != 1 || !strings.HasPrefix(stderr, "selftest: FAIL create container from berth-selftest:latest: POST /v1.41/containers/create: HTTP 500") {
		t.Fatalf("import with failing create: exit %d stderr %q", code, stderr)
	}
}

func TestSelftestWriteFailsClearly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd("selftest", "write", "-dir", filepath.Join(file, "sub"))
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "selftest: FAIL writing in ") {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}
