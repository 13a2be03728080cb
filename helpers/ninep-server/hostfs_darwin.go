//go:build darwin && amd64

// The host calls on macOS. Go 1.19's syscall package has no *at calls for darwin, so they are made
// by number (XNU's bsd/kern/syscalls.master; stable since macOS 10.10). macOS has no O_PATH: walked
// directories are opened read-only. Errors are carried to the guest as Linux errno values.
package main

import (
	"syscall"
	"unsafe"
)

const (
	nrOpenat     = 463
	nrRenameat   = 465
	nrFchownat   = 468
	nrFstatat64  = 470
	nrLinkat     = 471
	nrUnlinkat   = 472
	nrReadlinkat = 473
	nrSymlinkat  = 474
	nrMkdirat    = 475

	atSymlinkNofollow = 0x20
	atRemovedir       = 0x80
)

const searchFlags = syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC

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
	if _, err := result(syscall.Syscall6(nrFstatat64, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&st)), uintptr(flags), 0, 0)); err != nil {
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

func attrOf(st *syscall.Stat_t) fileAttr {
	return fileAttr{
		mode: uint32(st.Mode), uid: st.Uid, gid: st.Gid, nlink: uint64(st.Nlink), rdev: uint64(uint32(st.Rdev)), size: uint64(st.Size),
		blksize: uint64(st.Blksize), blocks: uint64(st.Blocks), ino: st.Ino, dev: uint64(uint32(st.Dev)),
		atime: st.Atimespec, mtime: st.Mtimespec, ctime: st.Ctimespec,
	}
}

func mkdirat(dfd int, name string, mode uint32) error {
	n, err := cstr(name)
	if err == nil {
		_, err = result(syscall.Syscall6(nrMkdirat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(mode), 0, 0, 0))
	}
	return err
}

func unlinkat(dfd int, name string, dir bool) error {
	flags := 0
	if dir {
		flags = atRemovedir
	}
	n, err := cstr(name)
	if err == nil {
		_, err = result(syscall.Syscall6(nrUnlinkat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(flags), 0, 0, 0))
	}
	return err
}

func renameat(odfd int, oname string, ndfd int, nname string) error {
	o, err := cstr(oname)
	if err != nil {
		return err
	}
	n, err := cstr(nname)
	if err == nil {
		_, err = result(syscall.Syscall6(nrRenameat, uintptr(odfd), uintptr(unsafe.Pointer(o)), uintptr(ndfd), uintptr(unsafe.Pointer(n)), 0, 0))
	}
	return err
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

func linkat(odfd int, oname string, ndfd int, nname string) error {
	o, err := cstr(oname)
	if err != nil {
		return err
	}
	n, err := cstr(nname)
	if err == nil {
		_, err = result(syscall.Syscall6(nrLinkat, uintptr(odfd), uintptr(unsafe.Pointer(o)), uintptr(ndfd), uintptr(unsafe.Pointer(n)), 0, 0))
	}
	return err
}

func fchownat(dfd int, name string, uid, gid int) error {
	n, err := cstr(name)
	if err == nil {
		_, err = result(syscall.Syscall6(nrFchownat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(uid), uintptr(gid), atSymlinkNofollow, 0))
	}
	return err
}

func statfs(fd int) (fsStats, error) {
	var s syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &s); err != nil {
		return fsStats{}, err
	}
	return fsStats{
		typ: 0x01021997, bsize: s.Bsize, blocks: s.Blocks, bfree: s.Bfree, bavail: s.Bavail,
		files: s.Files, ffree: s.Ffree, fsid: uint64(uint32(s.Fsid.Val[0])) | uint64(uint32(s.Fsid.Val[1]))<<32, namelen: 255,
	}, nil
}

// darwinToLinux maps macOS errno values to Linux's (the values 1–34 are the same on both).
var darwinToLinux = map[syscall.Errno]uint32{
	35:  11,  // EAGAIN
	36:  115, // EINPROGRESS
	45:  95,  // ENOTSUP → EOPNOTSUPP
	62:  40,  // ELOOP
	63:  36,  // ENAMETOOLONG
	66:  39,  // ENOTEMPTY
	69:  122, // EDQUOT
	70:  116, // ESTALE
	78:  38,  // ENOSYS
	84:  75,  // EOVERFLOW
	93:  61,  // ENOATTR → ENODATA
	102: 95,  // EOPNOTSUPP
}

func linuxErrno(e syscall.Errno) uint32 {
	if l, ok := darwinToLinux[e]; ok {
		return l
	}
	if e <= 34 {
		return uint32(e)
	}
	return 5 // EIO
}

const nrFchmodat = 467

func fchmodat(dfd int, name string, mode uint32) error {
	n, err := cstr(name)
	if err == nil {
		_, err = result(syscall.Syscall6(nrFchmodat, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(mode), 0, 0, 0))
	}
	return err
}
