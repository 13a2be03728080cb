// Package selftest checks the VM's Docker engine end to end without a docker CLI.
// This file owns the in-memory busybox root-filesystem tar and the static-busybox check.
package selftest

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"sort"
	"strings"
	"time"
)

// rootfsMTime is the fixed modification time of every entry, so the tar is byte-for-byte reproducible.
var rootfsMTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// BusyboxApplets are the bin/ symlinks to busybox the image carries.
var BusyboxApplets = []string{"sh", "cat", "echo", "httpd", "sleep", "ls", "dd", "sync"}

// RootfsDirs are the top-level empty directories the image carries.
var RootfsDirs = []string{"tmp", "etc", "proc", "sys", "dev"}

// BuildRootfs returns a tar of a minimal root filesystem: bin/busybox (mode
// 0755) holding the given bytes, relative symlinks bin/<applet> -> busybox, and
// empty top-level directories. Entries are sorted by name with a fixed mtime
// and owner root, so the same busybox always gives the same bytes.
func BuildRootfs(busybox []byte) ([]byte, error) {
	headers := []*tar.Header{
		{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(busybox))},
	}
	for _, applet := range BusyboxApplets {
		headers = append(headers, &tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	for _, dir := range RootfsDirs {
		mode := int64(0o755)
		if dir == "tmp" {
			mode = 0o1777 // world-writable with the sticky bit, like a real /tmp
		}
		headers = append(headers, &tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: mode})
	}
	sort.Slice(headers, func(i, j int) bool { return headers[i].Name < headers[j].Name })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range headers {
		h.ModTime = rootfsMTime
		h.Format = tar.FormatUSTAR
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("building rootfs tar: header for %s: %w", h.Name, err)
		}
		if h.Name == "bin/busybox" {
			if _, err := tw.Write(busybox); err != nil {
				return nil, fmt.Errorf("building rootfs tar: writing bin/busybox: %w", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("building rootfs tar: %w", err)
	}
	return buf.Bytes(), nil
}

// checkStaticBusybox fails if data is an ELF binary that needs a dynamic
// loader: the image holds nothing but busybox, so such a binary cannot start.
// Non-ELF data is let through (the engine will report what it can).
func checkStaticBusybox(path string, data []byte) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		interp := make([]byte, p.Filesz)
		if _, err := p.ReadAt(interp, 0); err != nil {
			return fmt.Errorf("%s is dynamically linked, so it cannot run alone in the self-test image; pass -busybox with a statically linked busybox", path)
		}
		return fmt.Errorf("%s is dynamically linked (needs %s), so it cannot run alone in the self-test image; pass -busybox with a statically linked busybox",
			path, strings.TrimRight(string(interp), "\x00"))
	}
	return nil
}
