//go:build windows || (ninepportable && linux)

// The portable host (Windows; Linux with -tags ninepportable) through 9P: T-21 for names only
// Windows forbids, owners and modes as Windows can keep them, and Linux's answers where Windows
// answers otherwise (rename over a directory, links of symlinks, opening a directory to write).
package main

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
)

func TestT21PortableWindowsNamesAreRefused(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "d"), 0o755)
	if runtime.GOOS != "windows" { // names Windows cannot hold, left by a Linux host: never served
		for _, n := range []string{"evil.", "CON", `a\b`, "x:stream"} {
			os.WriteFile(filepath.Join(root, n), []byte("x"), 0o644)
		}
	}
	c := newClient(t, root, false)
	for _, name := range []string{`a\b`, `..\..\outside`, "C:x", `C:\Windows`, "x:stream", "d:$DATA", "CON", "nul.txt", "COM1.log", "evil.", "trailing ", "a*b"} {
		if _, errno := c.walk(0, 1, name); errno != syscall.EINVAL {
			t.Errorf("walk %q: %v", name, errno)
		}
		if n, errno := c.walk(0, 1, "d", name); n != 1 || errno != 0 { // 9P: a walk stops at the name
			t.Errorf("walk d/%q: %d names walked, %v", name, n, errno)
		}
		c.walk(0, 2)
		if errno := c.lcreate(2, name, syscall.O_RDWR, 0o644); errno != syscall.EINVAL {
			t.Errorf("create %q: %v", name, errno)
		}
		c.clunk(2)
		if errno := c.nameOp(tmkdir, 0, name, uint32(0o755), uint32(0)); errno != syscall.EINVAL {
			t.Errorf("mkdir %q: %v", name, errno)
		}
		if errno := c.nameOp(tsymlink, 0, name, "d", uint32(0)); errno != syscall.EINVAL {
			t.Errorf("symlink %q: %v", name, errno)
		}
		if errno := c.nameOp(trenameat, 0, "d", uint32(0), name); errno != syscall.EINVAL {
			t.Errorf("rename to %q: %v", name, errno)
		}
	}
	if _, errno := c.walk(0, 1, strings.Repeat("n", 256)); errno != syscall.ENAMETOOLONG {
		t.Errorf("a 256-character name: %v", errno)
	}
	c.walk(0, 3)
	c.lopen(3, syscall.O_RDONLY)
	names := c.readdir(3)
	sort.Strings(names)
	if strings.Join(names, ",") != ".,..,d" {
		t.Fatalf("readdir lists names Windows cannot hold: %v", names)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "d")); len(entries) != 0 {
		t.Fatalf("files appeared: %v", entries)
	}
}

// getattrOwner is getattr's mode, uid and gid.
func getattrOwner(c *tclient, f uint32) (mode, uid, gid uint32, errno syscall.Errno) {
	var e encoder
	e.u32(f)
	e.u64(getattrBasic)
	d, errno := c.rpc(tgetattr, e.b)
	if errno != 0 {
		return 0, 0, 0, errno
	}
	d.u64()
	d.take(qidSize)
	return d.u32(), d.u32(), d.u32(), 0
}

func setattrOf(c *tclient, f, valid, mode, uid, gid uint32) syscall.Errno {
	var e encoder
	e.u32(f)
	e.u32(valid)
	e.u32(mode)
	e.u32(uid)
	e.u32(gid)
	e.b = append(e.b, make([]byte, 8*5)...)
	_, errno := c.rpc(tsetattr, e.b)
	return errno
}

func TestPortableOwnersAndModes(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "d"), 0o700)
	os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o600)
	s, err := NewServer(root, false, MaxMsizeHyperkit)
	if err != nil {
		t.Fatal(err)
	}
	s.SetOwner(1000, 1001)
	c := clientOf(t, s)
	c.walk(0, 1, "d")
	c.walk(0, 2, "f")
	if m, u, g, _ := getattrOwner(c, 1); m != lSIFDIR|0o755 || u != 1000 || g != 1001 {
		t.Fatalf("directory: mode %o owner %d:%d", m, u, g)
	}
	if m, u, g, _ := getattrOwner(c, 2); m != lSIFREG|0o644 || u != 1000 || g != 1001 {
		t.Fatalf("file: mode %o owner %d:%d", m, u, g)
	}
	// The write bit is the read-only attribute; no other bit is kept.
	if errno := setattrOf(c, 2, setMode, 0o555, 0, 0); errno != 0 {
		t.Fatal(errno)
	}
	if m, _, _, _ := getattrOwner(c, 2); m != lSIFREG|0o444 {
		t.Fatalf("after chmod 555: %o", m)
	}
	if errno := setattrOf(c, 2, setMode, 0o775, 0, 0); errno != 0 {
		t.Fatal(errno)
	}
	if m, _, _, _ := getattrOwner(c, 2); m != lSIFREG|0o644 {
		t.Fatalf("after chmod 775: %o", m)
	}
	// chown: the owner reported is accepted; another is EPERM from the host, which the guest's chown
	// does not fail on (as everywhere: setattr.go), and the owner stays.
	dir, err := s.openDir(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.close()
	if err := dir.chown("f", 1000, -1); err != nil {
		t.Fatalf("chown to the owner reported: %v", err)
	}
	if err := dir.chown("f", 0, 0); err != syscall.EPERM {
		t.Fatalf("chown to root: %v", err)
	}
	if errno := setattrOf(c, 2, setUID|setGID, 0, 0, 0); errno != 0 {
		t.Fatalf("the guest's chown to root: %v", errno)
	}
	if _, u, g, _ := getattrOwner(c, 2); u != 1000 || g != 1001 {
		t.Fatalf("owner after chown: %d:%d", u, g)
	}
}

func TestPortableAnswersAsLinux(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"src", "empty", "full", "full/x"} {
		os.Mkdir(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o644)
	os.Symlink("file", filepath.Join(root, "ln"))
	c := newClient(t, root, false)
	rename := func(from, to string) syscall.Errno { return c.nameOp(trenameat, 0, from, uint32(0), to) }
	if errno := rename("src", "file"); errno != syscall.ENOTDIR {
		t.Errorf("directory over a file: %v", errno)
	}
	if errno := rename("file", "empty"); errno != syscall.EISDIR {
		t.Errorf("file over a directory: %v", errno)
	}
	if errno := rename("src", "full"); errno != syscall.ENOTEMPTY && errno != syscall.EEXIST {
		t.Errorf("directory over a full one: %v", errno)
	}
	if errno := rename("src", "empty"); errno != 0 {
		t.Errorf("directory over an empty one: %v", errno)
	}
	if _, err := os.Stat(filepath.Join(root, "src")); !os.IsNotExist(err) {
		t.Error("src is still there")
	}
	if errno := c.nameOp(tunlinkat, 0, "file", uint32(lATRemovedir)); errno != syscall.ENOTDIR {
		t.Errorf("rmdir of a file: %v", errno)
	}
	c.walk(0, 1, "ln")
	var e encoder
	e.u32(0)
	e.u32(1)
	e.str("hard")
	if _, errno := c.rpc(tlink, e.b); errno != syscall.EPERM {
		t.Errorf("hard link of a symlink: %v", errno)
	}
	c.walk(0, 2, "full")
	if errno := c.lopen(2, syscall.O_RDWR); errno != syscall.EISDIR {
		t.Errorf("a directory opened to write: %v", errno)
	}
	c.walk(0, 3, "file")
	if errno := c.lopen(3, syscall.O_RDONLY); errno != 0 {
		t.Fatal(errno)
	}
	if s, _ := c.read(3, 0, 10); s != "x" {
		t.Errorf("read %q", s)
	}
	if s, errno := c.read(3, 5, 10); s != "" || errno != 0 {
		t.Errorf("read past the end: %q %v", s, errno)
	}
	c.walk(0, 4)
	if errno := c.lcreate(4, "file", syscall.O_RDWR|lOExcl, 0o644); errno != syscall.EEXIST {
		t.Errorf("exclusive create of an existing file: %v", errno)
	}
}
