//go:build linux && amd64

// The host calls on Linux: the *at system calls of the syscall package, the rest through Syscall.
package main

import (
	"syscall"
	"unsafe"
)

// searchFlags open a directory only to resolve names in it (O_PATH: no read permission needed).
// oPath is Linux's O_PATH (the syscall package does not name it).
const oPath = 0x200000

const searchFlags = oPath | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC

const atSymlinkNofollow = 0x100

func openat(dfd int, name string, flags int, mode uint32) (int, error) {
	return syscall.Openat(dfd, name, flags|syscall.O_CLOEXEC, mode)
}

func fstatat(dfd int, name string, flags int) (fileAttr, error) {
	var st syscall.Stat_t
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return fileAttr{}, err
	}
	if _, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(dfd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&st)), uintptr(flags), 0, 0); e != 0 {
		return fileAttr{}, e
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
		mode: st.Mode, uid: st.Uid, gid: st.Gid, nlink: st.Nlink, rdev: st.Rdev, size: uint64(st.Size),
		blksize: uint64(st.Blksize), blocks: uint64(st.Blocks), ino: st.Ino, dev: st.Dev,
		atime: st.Atim, mtime: st.Mtim, ctime: st.Ctim,
	}
}

func mkdirat(dfd int, name string, mode uint32) error { return syscall.Mkdirat(dfd, name, mode) }

func unlinkat(dfd int, name string, dir bool) error {
	flags := 0
	if dir {
		flags = 0x200 // AT_REMOVEDIR
	}
	return at2(syscall.SYS_UNLINKAT, dfd, name, flags)
}

func renameat(odfd int, oname string, ndfd int, nname string) error {
	return syscall.Renameat(odfd, oname, ndfd, nname)
}

func symlinkat(target string, dfd int, name string) error {
	t, err := syscall.BytePtrFromString(target)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	if _, _, e := syscall.Syscall(syscall.SYS_SYMLINKAT, uintptr(unsafe.Pointer(t)), uintptr(dfd), uintptr(unsafe.Pointer(n))); e != 0 {
		return e
	}
	return nil
}

func sysReadlinkat(dfd int, name string, buf []byte) (int, error) {
	n, err := syscall.BytePtrFromString(name)
	if err != nil {
		return 0, err
	}
	r, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// linkat never follows a symlink at the old name (flags 0).
func linkat(odfd int, oname string, ndfd int, nname string) error {
	o, err := syscall.BytePtrFromString(oname)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(nname)
	if err != nil {
		return err
	}
	if _, _, e := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(odfd), uintptr(unsafe.Pointer(o)), uintptr(ndfd), uintptr(unsafe.Pointer(n)), 0, 0); e != 0 {
		return e
	}
	return nil
}

func fchownat(dfd int, name string, uid, gid int) error {
	return syscall.Fchownat(dfd, name, uid, gid, atSymlinkNofollow)
}

func at2(trap uintptr, dfd int, name string, flags int) error {
	n, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	if _, _, e := syscall.Syscall(trap, uintptr(dfd), uintptr(unsafe.Pointer(n)), uintptr(flags)); e != 0 {
		return e
	}
	return nil
}

func statfs(fd int) (fsStats, error) {
	var s syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &s); err != nil {
		return fsStats{}, err
	}
	return fsStats{
		typ: uint32(s.Type), bsize: uint32(s.Bsize), blocks: s.Blocks, bfree: s.Bfree, bavail: s.Bavail,
		files: s.Files, ffree: s.Ffree, fsid: uint64(uint32(s.Fsid.X__val[0])) | uint64(uint32(s.Fsid.X__val[1]))<<32, namelen: uint32(s.Namelen),
	}, nil
}

// linuxErrno is the errno 9P2000.L carries: the host's own on Linux.
func linuxErrno(e syscall.Errno) uint32 { return uint32(e) }

func fchmodat(dfd int, name string, mode uint32) error { return syscall.Fchmodat(dfd, name, mode, 0) }
