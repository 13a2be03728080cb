// Package linkserve is the agent's end of the guest link.
// This file tests that a bare applet name the guest's PATH lacks runs through busybox.
package linkserve

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLookProgramFallsBackToBusyboxApplets(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "busybox")
	script := "#!/bin/sh\n[ \"$1\" = --list ] && { echo zzapplet; echo other; exit 0; }\nexit 3\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	oldPath := busyboxPath
	busyboxPath = fake
	appletsOnce = sync.Once{}
	t.Cleanup(func() { busyboxPath = oldPath; appletsOnce = sync.Once{} })

	got, err := lookProgram("zzapplet")
	if err != nil || got != fake {
		t.Fatalf("lookProgram(zzapplet) = %q, %v; want the busybox path", got, err)
	}
	if _, err := lookProgram("zznotanapplet"); err == nil {
		t.Fatal("a name neither in PATH nor a busybox applet must be refused")
	}
	if got, err := lookProgram("sh"); err != nil || got == fake {
		t.Fatalf("a program found in PATH is used first: got %q, %v", got, err)
	}
}
