// Tests of the serve subcommand's command layer: usage, flag errors and a listen failure's exit code.
// Serving itself is tested in internal/linkserve.
package main

import (
	"strings"
	"testing"
)

func TestServeFlagsAndExitCodes(t *testing.T) {
	_, stdout, _ := runCmd("help")
	if !strings.Contains(stdout, "serve ") {
		t.Errorf("usage does not list serve:\n%s", stdout)
	}
	for _, args := range [][]string{{"serve", "extra"}, {"serve", "-poweroff", " "}, {"serve", "-nope"}} {
		code, _, stderr := runCmd(args...)
		if code != 2 || !strings.Contains(stderr, "usage: berth-agent serve") && !strings.Contains(stderr, "-poweroff is empty") {
			t.Errorf("%q: exit %d stderr %q", args, code, stderr)
		}
	}
	code, _, stderr := runCmd("serve", "-unix", "/nonexistent-berth-dir/link.sock")
	if code != 1 || !strings.HasPrefix(stderr, "serve: listening for the guest link: ") {
		t.Errorf("serve on an impossible socket path: exit %d stderr %q", code, stderr)
	}
}
