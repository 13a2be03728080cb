package main

import (
	"strings"
	"syscall"
	"testing"
)

func TestWindowsNameCheck(t *testing.T) {
	for _, name := range []string{
		"..", ".", "", `a\b`, "a/b", "C:x", "x:stream", "file.txt:$DATA", "CON", "con", "nul.txt", "NUL .txt",
		"COM1", "com9.log", "LPT3", "lpt¹", "CONIN$", "AUX.tar.gz", "prn", "trailing.", "trailing ", "...",
		"a<b", "a>b", `a"b`, "a|b", "a?b", "a*b", "tab\there", "nul\x00",
	} {
		if err := checkWindowsName(name); err != syscall.EINVAL {
			t.Errorf("%q: %v, want EINVAL", name, err)
		}
	}
	if err := checkWindowsName(strings.Repeat("a", 256)); err != syscall.ENAMETOOLONG {
		t.Errorf("256 characters: %v", err)
	}
	if err := checkWindowsName(strings.Repeat("文", 255)); err != nil { // 765 bytes, 255 UTF-16 units
		t.Errorf("255 CJK characters: %v", err)
	}
	if err := checkWindowsName(strings.Repeat("😀", 128)); err != syscall.ENAMETOOLONG { // 256 UTF-16 units
		t.Errorf("128 emoji: %v", err)
	}
	for _, name := range []string{"a", ".hidden", "..dots", "a.b.c", "CONSOLE", "COM10", "com", "nul-x", "LPT", "ünï 文件.txt", "x y", "a~1", "a$b"} {
		if err := checkWindowsName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}

func TestWindowsErrorsAsLinuxErrno(t *testing.T) {
	for code, want := range map[uint32]uint32{
		2: lENOENT, 3: lENOENT, 5: lEACCES, 80: lEEXIST, 183: lEEXIST, 145: lENOTEMPTY, 267: lENOTDIR,
		206: lENAMETOOLONG, 87: lEINVAL, 123: lEINVAL, 1314: lEPERM, 17: lEXDEV, 32: lEBUSY, 112: lENOSPC,
		1921: lELOOP, 19: lEROFS, 9999: lEIO,
	} {
		if got := windowsErrorToLinux(code); got != want {
			t.Errorf("Win32 error %d: errno %d, want %d", code, got, want)
		}
	}
	// The errnos the server returns itself, whatever numbers this host's syscall package gives them.
	for e, want := range map[syscall.Errno]uint32{syscall.EINVAL: 22, syscall.ENOENT: 2, syscall.EPERM: 1, syscall.ELOOP: 40, syscall.EISDIR: 21, syscall.ENOTDIR: 20, syscall.ENAMETOOLONG: 36, syscall.EROFS: 30} {
		if got := linuxErrno(e); got != want {
			t.Errorf("%v: errno %d, want %d", e, got, want)
		}
	}
}

func TestPortableModesAndSymlinkTargets(t *testing.T) {
	if m := portableMode(true, false, true); m != lSIFDIR|0o755 {
		t.Errorf("read-only directory: %o", m)
	}
	if m := portableMode(false, false, false); m != lSIFREG|0o644 {
		t.Errorf("file: %o", m)
	}
	if m := portableMode(false, false, true); m != lSIFREG|0o444 {
		t.Errorf("read-only file: %o", m)
	}
	if m := portableMode(true, true, false); m != lSIFLNK|0o777 {
		t.Errorf("directory symlink: %o", m)
	}
	for in, want := range map[string]string{
		"../lib/x.so": `..\lib\x.so`, "/usr/bin/env": `\usr\bin\env`, "//attacker/share": `\attacker\share`,
		`\\?\UNC\attacker\x`: `\?\UNC\attacker\x`, "a": "a",
	} {
		if got := hostSymlinkTarget(in); got != want {
			t.Errorf("host target of %q: %q, want %q", in, got, want)
		}
	}
	if got := guestSymlinkTarget(`..\lib\x.so`); got != "../lib/x.so" {
		t.Errorf("guest target: %q", got)
	}
	if pathHash(`C:\Share\A`) != pathHash(`c:\share\a`) || pathHash(`C:\a`) == pathHash(`C:\b`) {
		t.Error("path hash: the same path must hash alike whatever its case, others apart")
	}
}
