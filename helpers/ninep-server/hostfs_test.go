//go:build (linux || darwin) && !ninepportable

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The *at calls the server's requests do not reach as root (fchmodat: a file its owner cannot read)
// or at all in the other suites (fchownat): each acts on the name in its directory, not through a symlink.
func TestHostChmodChownAt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "ln")); err != nil {
		t.Fatal(err)
	}
	dfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dfd)
	if err := fchmodat(dfd, "f", 0o000); err != nil {
		t.Fatal(err)
	}
	if a, err := fstatat(dfd, "f", atSymlinkNofollow); err != nil || a.mode&0o7777 != 0 {
		t.Fatalf("after fchmodat: %o %v", a.mode, err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 1234, 1235 // root can give a file away
	}
	if err := fchownat(dfd, "ln", uid, gid); err != nil {
		t.Fatal(err)
	}
	l, err := fstatat(dfd, "ln", atSymlinkNofollow)
	if err != nil || !isSymlink(l) || l.uid != uint32(uid) || l.gid != uint32(gid) {
		t.Fatalf("the symlink after fchownat: %+v %v", l, err)
	}
	if os.Getuid() == 0 {
		if f, _ := fstatat(dfd, "f", atSymlinkNofollow); f.uid != 0 {
			t.Fatalf("fchownat followed the symlink: target owned by %d", f.uid)
		}
	}
}
