// Tests of `serve -link-from`: a kernel command line whose berth.link= is malformed stops the agent
// with the reason (supervised, it is restarted and says it again on the console).
package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeLinkFromRefusesAMalformedChoice(t *testing.T) {
	dir := t.TempDir()
	cmdline := filepath.Join(dir, "cmdline")
	if err := os.WriteFile(cmdline, []byte("console=ttyS0 berth.link=vsock:notaport\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd("serve", "-link-from", cmdline)
	if code != 1 || !strings.Contains(stderr, "berth.link=vsock:notaport: the vsock port must be a number") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
	code, _, stderr = runCmd("serve", "-link-from", filepath.Join(dir, "missing"))
	if code != 1 || !strings.Contains(stderr, "serve: open ") {
		t.Errorf("missing cmdline file: exit %d stderr %q", code, stderr)
	}
}
