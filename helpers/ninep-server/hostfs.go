//go:build (linux || darwin) && !ninepportable

// The host on Linux and macOS: every name is relative to an open directory fd (openat-style), so no
// call ever resolves a path the server did not walk itself. The *at calls are made by number
// (hostfs_<os>.go names the numbers, flags and stat layout of each host); hostdir_unix.go wraps them
// in the handles the server uses (hostapi.go).
package main

import (
	"syscall"
	"unsafe"
)

// hostOpenFlags turns the guest's Linux open flags into the host's: the access mode, O_TRUNC and
// O_EXCL are kept; O_APPEND is dropped (the client sends the offset of every write); the host side
// always adds O_NOFOLLOW (a symlink is never opened through) and O_CLOEXEC.
func hostOpenFlags(l uint32) int {
	f := int(l & lOAccmode)
	if l&lOTrunc != 0 {
		f |= syscall.O_TRUNC
	}
	if l&lOExcl != 0 {
		f |= syscall.O_EXCL
	}
	return f | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
}

// readlinkat reads a symlink's target relative to a directory.
func readlinkat(dfd int, name string) (string, error) {
	buf := make([]byte, 4096)
	for {
		n, err := sysReadlinkat(dfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, len(buf)*2)
	}
}

// Pointers are converted to uintptr inside each syscall.Syscall6 call expression, the one place
// where Go keeps the memory they point to alive and in place for the call.
func cstr(s string) (*byte, error) { return syscall.BytePtrFromString(s) }

func result(r, _ uintptr, e syscall.Errno) (uintptr, error) {
	if e != 0 {
		return 0, e
	}
	return r, nil
}

func openat(dfd int, name string, flags int, mode uint32) (int, error) {
	n, err := cstr(name)
	if err != nil {
		return -1, err
	}
	r, err := result(syscall.Syscall6(nrOpenat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(flags|syscall.O_CLOEXEC), uintptr(mode), 0, 0))
	if err != nil {
		return -1, err
	}
	return int(r), nil
}

func fstatat(dfd int, name string, flags int) (fileAttr, error) {
	var st syscall.Stat_t
	n, err := cstr(name)
	if err != nil {
		return fileAttr{}, err
	}
	if _, err := result(syscall.Syscall6(nrFstatat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&st)), uintptr(flags), 0, 0)); err != nil {
		return fileAttr{}, err
	}
	return attrOf(&st), nil
}

func fstat(fd int) (fileAttr, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fileAttr{}, err
	}
	return attrOf(&st), nil
}

// atName makes the *at call nr on name in the directory dfd, with up to three more arguments.
func atName(nr uintptr, dfd int, name string, a, b, c uintptr) error {
	n, err := cstr(name)
	if err == nil {
		_, err = result(syscall.Syscall6(nr, uintptr(dfd), uintptr(unsafe.Pointer(n)), a, b, c, 0))
	}
	return err
}

// atTwoNames makes the *at call nr from oname in the directory odfd to nname in ndfd (flags 0).
func atTwoNames(nr uintptr, odfd int, oname string, ndfd int, nname string) error {
	o, err := cstr(oname)
	if err != nil {
		return err
	}
	n, err := cstr(nname)
	if err == nil {
		_, err = result(syscall.Syscall6(nr, uintptr(odfd), uintptr(unsafe.Pointer(o)), uintptr(ndfd), uintptr(unsafe.Pointer(n)), 0, 0))
	}
	return err
}

func mkdirat(dfd int, name string, mode uint32) error {
	return atName(nrMkdirat, dfd, name, uintptr(mode), 0, 0)
}

func unlinkat(dfd int, name string, dir bool) error {
	flags := 0
	if dir {
		flags = atRemovedir
	}
	return atName(nrUnlinkat, dfd, name, uintptr(flags), 0, 0)
}

func renameat(odfd int, oname string, ndfd int, nname string) error {
	return atTwoNames(nrRenameat, odfd, oname, ndfd, nname)
}

func symlinkat(target string, dfd int, name string) error {
	t, err := cstr(target)
	if err != nil {
		return err
	}
	n, err := cstr(name)
	if err == nil {
		_, err = result(syscall.Syscall6(nrSymlinkat, uintptr(unsafe.Pointer(t)), uintptr(dfd), uintptr(unsafe.Pointer(n)), 0, 0, 0))
	}
	return err
}

func sysReadlinkat(dfd int, name string, buf []byte) (int, error) {
	n, err := cstr(name)
	if err != nil {
		return 0, err
	}
	r, err := result(syscall.Syscall6(nrReadlinkat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0))
	return int(r), err
}

// linkat never follows a symlink at the old name (flags 0).
func linkat(odfd int, oname string, ndfd int, nname string) error {
	return atTwoNames(nrLinkat, odfd, oname, ndfd, nname)
}

func fchownat(dfd int, name string, uid, gid int) error {
	return atName(nrFchownat, dfd, name, uintptr(uid), uintptr(gid), atSymlinkNofollow)
}

func fchmodat(dfd int, name string, mode uint32) error {
	return atName(nrFchmodat, dfd, name, uintptr(mode), 0, 0)
}
