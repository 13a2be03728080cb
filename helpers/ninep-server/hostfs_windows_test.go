// Windows only (vetted elsewhere, run on Windows): a walked directory is held in place, and a
// junction — which any user can make, unlike a symlink — is never walked through (T-21).
package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWindowsPinnedDirectoryCannotBeRenamed(t *testing.T) {
	base := t.TempDir()
	d := filepath.Join(base, "d")
	os.Mkdir(d, 0o755)
	p, err := pinDir(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(d, filepath.Join(base, "moved")); err == nil {
		t.Fatal("a held directory was renamed")
	}
	os.WriteFile(filepath.Join(d, "inside"), []byte("x"), 0o644) // what a request does in it still works
	p.release()
	if err := os.Rename(d, filepath.Join(base, "moved")); err != nil {
		t.Fatalf("released, still held: %v", err)
	}
}

func TestT21WindowsJunctionsAreNeverWalked(t *testing.T) {
	j := newJail(t)
	if out, err := exec.Command("cmd", "/c", "mklink", "/J", filepath.Join(j.root, "junction"), j.outside).CombinedOutput(); err != nil {
		t.Fatalf("mklink /J: %v %s", err, out)
	}
	if n, _ := j.c.walk(0, 1, "junction", "secret"); n == 2 {
		t.Fatal("walked through a junction to the secret")
	}
	j.c.walk(0, 2, "junction")
	if mode, _, _ := j.c.getattr(2); mode&lSIFMT != lSIFLNK {
		t.Fatalf("a junction is reported as mode %o, not a symlink", mode)
	}
	if errno := j.c.lcreate(2, "planted", syscall.O_RDWR, 0o644); errno == 0 {
		t.Fatal("created a file through a junction")
	}
	if errno := j.c.lopen(2, syscall.O_RDONLY); errno == 0 {
		t.Fatal("opened the directory behind a junction")
	}
	j.secretIntact(t)
}
