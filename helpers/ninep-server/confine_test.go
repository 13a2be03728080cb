// T-21: a guest cannot reach outside the exported folder — not by "..", not by names holding "/",
// not through a symlink (absolute or relative, as the last name or on the way), not by renaming
// into or through one, not through a directory the host swapped for a symlink after the walk.
package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

type jail struct {
	root, outside, secret string
	secretMode            os.FileMode
	c                     *tclient
}

func newJail(t *testing.T) jail {
	base := t.TempDir()
	j := jail{root: filepath.Join(base, "share"), outside: filepath.Join(base, "outside")}
	j.secret = filepath.Join(j.outside, "secret")
	os.Mkdir(j.root, 0o755)
	os.Mkdir(j.outside, 0o755)
	os.WriteFile(j.secret, []byte("top secret"), 0o644)
	if st, err := os.Stat(j.secret); err == nil {
		j.secretMode = st.Mode()
	}
	os.Mkdir(filepath.Join(j.root, "d"), 0o755)
	os.Symlink(j.outside, filepath.Join(j.root, "abs"))       // absolute, to a directory outside
	os.Symlink("../outside", filepath.Join(j.root, "rel"))    // relative, out through ..
	os.Symlink(j.secret, filepath.Join(j.root, "secretlink")) // to a file outside
	j.c = newClient(t, j.root, false)
	return j
}

func (j jail) secretIntact(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(j.secret)
	st, _ := os.Stat(j.secret)
	if err != nil || string(b) != "top secret" || st.Mode() != j.secretMode {
		t.Fatalf("the file outside the share changed: %q %v %v", b, err, st.Mode())
	}
	entries, _ := os.ReadDir(j.outside)
	if len(entries) != 1 {
		t.Fatalf("files appeared outside the share: %v", entries)
	}
}

func TestT21DotDotAtRootStaysAtRoot(t *testing.T) {
	j := newJail(t)
	if n, errno := j.c.walk(0, 1, "..", "..", ".."); errno != 0 || n != 3 {
		t.Fatal(n, errno)
	}
	j.c.lopen(1, syscall.O_RDONLY)
	names := map[string]bool{}
	for _, n := range j.c.readdir(1) {
		names[n] = true
	}
	if !names["d"] || !names["abs"] || names["outside"] || names["share"] {
		t.Fatalf(".. from the root listed %v, not the share", names)
	}
	if n, _ := j.c.walk(0, 2, "..", "outside", "secret"); n == 3 {
		t.Fatal("../outside/secret must not be found from the share's root")
	}
	if n, _ := j.c.walk(0, 2, "d", "..", "..", "outside"); n == 4 {
		t.Fatal("d/../../outside walked out of the share")
	}
}

func TestT21HostileNamesAreRefused(t *testing.T) {
	j := newJail(t)
	for _, name := range []string{"../outside", "d/../../outside", "/etc", "a\x00b", ""} {
		if _, errno := j.c.walk(0, 1, name); errno != syscall.EINVAL {
			t.Fatalf("walk %q: %v", name, errno)
		}
		if errno := j.c.lcreate(0, name, syscall.O_RDWR, 0o644); errno != syscall.EINVAL {
			t.Fatalf("create %q: %v", name, errno)
		}
	}
	j.c.walk(0, 3)
	for _, name := range []string{".", ".."} {
		if errno := j.c.nameOp(tmkdir, 0, name, uint32(0o755), uint32(0)); errno != syscall.EINVAL {
			t.Fatalf("mkdir %q: %v", name, errno)
		}
	}
	var e encoder
	e.u32(0)
	e.str("d")
	e.u32(0)
	e.str("../outside/stolen")
	if _, errno := j.c.rpc(trenameat, e.b); errno != syscall.EINVAL {
		t.Fatalf("rename to ../outside: %v", errno)
	}
	j.secretIntact(t)
}

func TestT21SymlinksAreNeverFollowed(t *testing.T) {
	j := newJail(t)
	for _, link := range []string{"abs", "rel"} {
		// The link itself can be walked to and read (the guest resolves it in its own namespace)…
		if n, errno := j.c.walk(0, 1, link); errno != 0 || n != 1 {
			t.Fatal(link, n, errno)
		}
		if mode, _, _ := j.c.getattr(1); mode&lSIFMT != lSIFLNK {
			t.Fatalf("%s: getattr followed the link (mode %o)", link, mode)
		}
		// …but not walked through, opened, listed or created in.
		if n, _ := j.c.walk(0, 2, link, "secret"); n == 2 {
			t.Fatalf("walked through %s to the secret", link)
		}
		if errno := j.c.lopen(1, syscall.O_RDONLY); errno == 0 {
			t.Fatalf("opened the directory behind %s", link)
		}
		if errno := j.c.lcreate(1, "planted", syscall.O_RDWR, 0o644); errno == 0 {
			t.Fatalf("created a file through %s", link)
		}
		if errno := j.c.nameOp(tmkdir, 1, "planted", uint32(0o755), uint32(0)); errno == 0 {
			t.Fatalf("made a directory through %s", link)
		}
		var e encoder
		e.u32(0)
		e.str("d")
		e.u32(1)
		e.str("moved")
		if _, errno := j.c.rpc(trenameat, e.b); errno == 0 {
			t.Fatalf("renamed into the directory behind %s", link)
		}
		j.c.clunk(1)
	}

	// A symlink to a file outside: open, truncate and chmod through it all fail or touch the link only.
	j.c.walk(0, 1, "secretlink")
	if errno := j.c.lopen(1, syscall.O_RDONLY); errno == 0 {
		t.Fatal("opened the file behind secretlink")
	}
	var e encoder
	e.u32(1)
	e.u32(setMode | setSize)
	e.u32(0o777)
	e.u32(0)
	e.u32(0)
	e.u64(0)
	e.b = append(e.b, make([]byte, 32)...)
	j.c.rpc(tsetattr, e.b)
	// A hard link of the symlink is a second symlink, not a link to the secret.
	e = encoder{}
	e.u32(0)
	e.u32(1)
	e.str("hard")
	j.c.rpc(tlink, e.b)
	if st, err := os.Lstat(filepath.Join(j.root, "hard")); err == nil && st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("link through a symlink linked the file outside")
	}
	j.secretIntact(t)
}

func TestT21DirectorySwappedForSymlinkAfterTheWalk(t *testing.T) {
	j := newJail(t)
	os.WriteFile(filepath.Join(j.root, "d", "secret"), []byte("inside"), 0o644)
	j.c.walk(0, 1, "d", "secret")
	j.c.walk(0, 2, "d")
	// The host (or another process) replaces d by a symlink to the outside between walk and use.
	os.Rename(filepath.Join(j.root, "d"), filepath.Join(j.root, "d.old"))
	os.Symlink(j.outside, filepath.Join(j.root, "d"))
	if errno := j.c.lopen(1, syscall.O_RDWR|lOTrunc); errno == 0 {
		t.Fatal("opened d/secret through the swapped-in symlink")
	}
	if errno := j.c.lcreate(2, "planted", syscall.O_RDWR, 0o644); errno == 0 {
		t.Fatal("created a file through the swapped-in symlink")
	}
	if errno := j.c.nameOp(tunlinkat, 2, "secret", uint32(0)); errno == 0 {
		t.Fatal("unlinked through the swapped-in symlink")
	}
	if _, _, errno := j.c.getattr(1); errno == 0 {
		t.Fatal("stat through the swapped-in symlink")
	}
	j.secretIntact(t)
}

func TestT21SymlinkTargetsAreStoredVerbatim(t *testing.T) {
	j := newJail(t)
	if errno := j.c.nameOp(tsymlink, 0, "esc", "../../../../etc/passwd", uint32(0)); errno != 0 {
		t.Fatal(errno)
	}
	if target, _ := os.Readlink(filepath.Join(j.root, "esc")); target != "../../../../etc/passwd" {
		t.Fatalf("target %q", target)
	}
	j.c.walk(0, 1, "esc")
	if errno := j.c.lopen(1, syscall.O_RDONLY); errno == 0 {
		t.Fatal("opened the symlink's target")
	}
}
