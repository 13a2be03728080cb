// Tests for the rootfs tar: exact entry list and order, modes, reproducibility,
// and the dynamically-linked busybox check.
package selftest

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestBuildRootfsEntries(t *testing.T) {
	busybox := []byte("pretend this is busybox")
	data, err := BuildRootfs(busybox)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bin/", "bin/busybox", "bin/cat", "bin/dd", "bin/echo", "bin/httpd", "bin/ls", "bin/sh", "bin/sleep", "bin/sync",
		"dev/", "etc/", "proc/", "sys/", "tmp/",
	}
	tr := tar.NewReader(bytes.NewReader(data))
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(rootfsMTime) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mtime %v uid %d gid %d, want fixed mtime and root", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		switch {
		case h.Name == "bin/busybox":
			body, _ := io.ReadAll(tr)
			if h.Typeflag != tar.TypeReg || h.Mode != 0o755 || !bytes.Equal(body, busybox) {
				t.Errorf("bin/busybox: type %q mode %o body %q", h.Typeflag, h.Mode, body)
			}
		case strings.HasSuffix(h.Name, "/"):
			if h.Typeflag != tar.TypeDir {
				t.Errorf("%s: type %q, want directory", h.Name, h.Typeflag)
			}
			if h.Name == "tmp/" && h.Mode != 0o1777 {
				t.Errorf("tmp/: mode %o, want 1777", h.Mode)
			}
		default:
			if h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
				t.Errorf("%s: type %q -> %q, want relative symlink to busybox", h.Name, h.Typeflag, h.Linkname)
			}
		}
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("entries = %q\nwant      %q", names, want)
	}
}

func TestBuildRootfsIsReproducible(t *testing.T) {
	a, err := BuildRootfs([]byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildRootfs([]byte("same"))
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same busybox differ")
	}
}

func TestCheckStaticBusybox(t *testing.T) {
	if err := checkStaticBusybox("fake", []byte("not an ELF file")); err != nil {
		t.Errorf("non-ELF data rejected: %v", err)
	}
	// A dynamically linked system binary stands in for a dynamic busybox.
	data, err := os.ReadFile("/bin/ls")
	if err != nil || !bytes.Contains(data, []byte("ld-linux")) {
		t.Skip("no dynamically linked /bin/ls to test with")
	}
	err = checkStaticBusybox("/bin/ls", data)
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") || !strings.Contains(err.Error(), "-busybox") {
		t.Fatalf("checkStaticBusybox(/bin/ls) = %v, want dynamic-link error with advice", err)
	}
}
