package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

func TestFileLifecycle(t *testing.T) {
	root := t.TempDir()
	c := newClient(t, root, false)
	c.walk(0, 1)
	if e := c.lcreate(1, "ünï 文件.txt", syscall.O_RDWR, 0o640); e != 0 {
		t.Fatal(e)
	}
	if n, e := c.write(1, 0, "hello world"); e != 0 || n != 11 {
		t.Fatal(n, e)
	}
	if s, _ := c.read(1, 6, 100); s != "world" {
		t.Fatalf("read %q", s)
	}
	c.clunk(1)
	b, _ := os.ReadFile(filepath.Join(root, "ünï 文件.txt"))
	if string(b) != "hello world" {
		t.Fatalf("host sees %q", b)
	}
	if st, _ := os.Stat(filepath.Join(root, "ünï 文件.txt")); st.Mode().Perm() != hostPerm(0o640) {
		t.Fatalf("mode %v", st.Mode())
	}

	if e := c.nameOp(tmkdir, 0, "d", uint32(0o755), uint32(0)); e != 0 {
		t.Fatal(e)
	}
	if e := c.nameOp(trenameat, 0, "ünï 文件.txt", uint32(0), "d"); e == 0 {
		t.Fatal("renaming a file over a directory must fail")
	}
	var e encoder
	e.u32(0)
	e.str("ünï 文件.txt")
	e.u32(0)
	e.str("renamed")
	c.must(trenameat, e.b)
	if _, err := os.Stat(filepath.Join(root, "renamed")); err != nil {
		t.Fatal(err)
	}
	// A fid that names a file follows a rename made through another.
	c.walk(0, 2, "renamed")
	e = encoder{}
	e.u32(0)
	e.str("renamed")
	e.u32(0)
	e.str("again")
	c.must(trenameat, e.b)
	if _, size, errno := c.getattr(2); errno != 0 || size != 11 {
		t.Fatalf("fid after rename: %v %d", errno, size)
	}

	// setattr: mode, size, mtime.
	e = encoder{}
	e.u32(2)
	e.u32(setMode | setSize | setMtime | setMtimeSet)
	e.u32(0o600)
	e.u32(0)
	e.u32(0)
	e.u64(5)
	e.u64(0)
	e.u64(0)
	e.u64(1_000_000_000)
	e.u64(0)
	c.must(tsetattr, e.b)
	st, _ := os.Stat(filepath.Join(root, "again"))
	if st.Mode().Perm() != hostPerm(0o600) || st.Size() != 5 || st.ModTime().Unix() != 1_000_000_000 {
		t.Fatalf("after setattr: %v %d %v", st.Mode(), st.Size(), st.ModTime())
	}

	// symlink, readlink, link, unlinkat, mknod.
	if e := c.nameOp(tsymlink, 0, "ln", "again", uint32(0)); e != 0 {
		t.Fatal(e)
	}
	c.walk(0, 3, "ln")
	d := c.must(treadlink, []byte{3, 0, 0, 0})
	if d.str() != "again" {
		t.Fatal("readlink")
	}
	e = encoder{}
	e.u32(0)
	e.u32(2)
	e.str("hard")
	c.must(tlink, e.b)
	hard, _ := os.Stat(filepath.Join(root, "hard"))
	again, _ := os.Stat(filepath.Join(root, "again"))
	if hard == nil || again == nil || !os.SameFile(hard, again) {
		t.Fatal("link")
	}
	if errno := c.nameOp(tunlinkat, 0, "d", uint32(0)); errno != syscall.EISDIR && errno != syscall.EPERM {
		t.Fatalf("unlinkat of a directory without AT_REMOVEDIR: %v", errno)
	}
	if errno := c.nameOp(tunlinkat, 0, "d", uint32(lATRemovedir)); errno != 0 {
		t.Fatal(errno)
	}
	if errno := c.nameOp(tmknod, 0, "fifo", uint32(0o010000|0o644), uint32(0), uint32(0), uint32(0)); errno != syscall.EPERM {
		t.Fatalf("mknod: %v", errno)
	}

	// readdir, xattrs, locks, statfs, fsync.
	c.walk(0, 4)
	if errno := c.lopen(4, syscall.O_RDONLY); errno != 0 {
		t.Fatal(errno)
	}
	names := c.readdir(4)
	sort.Strings(names)
	if strings.Join(names, ",") != ".,..,again,hard,ln" {
		t.Fatalf("readdir: %v", names)
	}
	e = encoder{}
	e.u32(0)
	e.u32(5)
	e.str("security.capability")
	if _, errno := c.rpc(txattrwalk, e.b); errno != syscall.ENODATA {
		t.Fatalf("xattrwalk of a name: %v", errno)
	}
	e = encoder{}
	e.u32(0)
	e.u32(5)
	e.str("")
	if d := c.must(txattrwalk, e.b); d.u64() != 0 {
		t.Fatal("xattr list must be empty")
	}
	e = encoder{}
	e.u32(4)
	e.u8(1)
	e.u32(0)
	e.u64(0)
	e.u64(0)
	e.u32(1)
	e.str("guest")
	if d := c.must(tlock, e.b); d.u8() != 0 {
		t.Fatal("lock must be granted")
	}
	d = c.must(tstatfs, []byte{0, 0, 0, 0})
	if d.u32(); d.u32() == 0 {
		t.Fatal("statfs block size")
	}
	c.must(tfsync, []byte{4, 0, 0, 0, 0, 0, 0, 0})
}

func TestReaddirOfManyFilesAcrossCalls(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 3000; i++ {
		os.WriteFile(filepath.Join(root, strings.Repeat("f", 40)+string(rune('a'+i%26))+"-"+itoa(i)), nil, 0o644)
	}
	c := newClient(t, root, false)
	c.walk(0, 1)
	c.lopen(1, syscall.O_RDONLY)
	if n := len(c.readdir(1)); n != 3002 {
		t.Fatalf("%d entries, want 3002", n)
	}
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		i /= 10
		if i == 0 {
			return s
		}
	}
}

func TestReadOnlyExport(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "f"), []byte("data"), 0o644)
	c := newClient(t, root, true)
	c.walk(0, 1, "f")
	if errno := c.lopen(1, syscall.O_RDWR); errno != syscall.EROFS {
		t.Fatalf("open for writing: %v", errno)
	}
	if errno := c.lopen(1, syscall.O_RDONLY|lOTrunc); errno != syscall.EROFS {
		t.Fatalf("open with O_TRUNC: %v", errno)
	}
	if errno := c.lopen(1, syscall.O_RDONLY); errno != 0 {
		t.Fatal(errno)
	}
	if s, _ := c.read(1, 0, 10); s != "data" {
		t.Fatal("read")
	}
	c.walk(0, 2)
	if errno := c.lcreate(2, "new", syscall.O_RDWR, 0o644); errno != syscall.EROFS {
		t.Fatalf("create: %v", errno)
	}
	for _, op := range []struct {
		typ   uint8
		parts []interface{}
	}{
		{tmkdir, []interface{}{"d", uint32(0o755), uint32(0)}},
		{tsymlink, []interface{}{"s", "f", uint32(0)}},
		{tunlinkat, []interface{}{"f", uint32(0)}},
	} {
		if errno := c.nameOp(op.typ, 0, op.parts...); errno != syscall.EROFS {
			t.Fatalf("request %d: %v", op.typ, errno)
		}
	}
	var e encoder
	e.u32(0)
	e.u32(setMode)
	e.u32(0o777)
	e.b = append(e.b, make([]byte, 4+4+8*5)...)
	if _, errno := c.rpc(tsetattr, e.b); errno != syscall.EROFS {
		t.Fatalf("setattr: %v", errno)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "f")); string(b) != "data" {
		t.Fatal("the file changed")
	}
}
