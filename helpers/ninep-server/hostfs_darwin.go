//go:build darwin && amd64 && !ninepportable

// The host on macOS: the numbers of the *at calls hostfs.go makes (Go 1.19's syscall package has none
// for darwin; XNU's bsd/kern/syscalls.master, stable since macOS 10.10), their flags, and the layout of
// stat and statfs. macOS has no O_PATH: walked directories are opened read-only. Errors are carried to
// the guest as Linux errno values.
package main

import "syscall"

const (
	nrOpenat     = 463
	nrRenameat   = 465
	nrFchmodat   = 467
	nrFchownat   = 468
	nrFstatat    = 470 // fstatat64
	nrLinkat     = 471
	nrUnlinkat   = 472
	nrReadlinkat = 473
	nrSymlinkat  = 474
	nrMkdirat    = 475

	atSymlinkNofollow = 0x20
	atRemovedir       = 0x80
)

const searchFlags = syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC

func attrOf(st *syscall.Stat_t) fileAttr {
	return fileAttr{
		mode: uint32(st.Mode), uid: st.Uid, gid: st.Gid, nlink: uint64(st.Nlink), rdev: uint64(uint32(st.Rdev)), size: uint64(st.Size),
		blksize: uint64(st.Blksize), blocks: uint64(st.Blocks), ino: st.Ino, dev: uint64(uint32(st.Dev)),
		atime: st.Atimespec, mtime: st.Mtimespec, ctime: st.Ctimespec,
	}
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
