// Tests of the serve subcommand's command layer: usage, flag errors, a listen failure's exit code, and the
// berth.cpu=emulated word that puts the agent on one Go processor. Serving itself is tested in internal/linkserve.
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

func TestCPUEmulatedOnlyForItsOwnWord(t *testing.T) {
	for cmdline, want := range map[string]bool{
		"console=ttyS0 quiet berth.cpu=emulated": true,
		"berth.cpu=emulated\n":                   true,
		"console=ttyS0 quiet":                    false,
		"berth.cpu=emulatedx berth.link=vsock":   false,
		"xberth.cpu=emulated":                    false,
		"berth.cpu=host":                         false,
		"":                                       false,
	} {
		if got := cpuEmulated(cmdline); got != want {
			t.Errorf("cpuEmulated(%q) = %v, want %v", cmdline, got, want)
		}
	}
}
