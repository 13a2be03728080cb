//go:build linux && amd64 && !ninepportable

// The host on Linux: the numbers of the *at calls hostfs.go makes, their flags, and the layout of
// stat and statfs. 9P2000.L's errno values are Linux's own.
package main

import "syscall"

const (
	nrOpenat     = syscall.SYS_OPENAT
	nrRenameat   = syscall.SYS_RENAMEAT
	nrFchmodat   = syscall.SYS_FCHMODAT
	nrFchownat   = syscall.SYS_FCHOWNAT
	nrFstatat    = syscall.SYS_NEWFSTATAT
	nrLinkat     = syscall.SYS_LINKAT
	nrUnlinkat   = syscall.SYS_UNLINKAT
	nrReadlinkat = syscall.SYS_READLINKAT
	nrSymlinkat  = syscall.SYS_SYMLINKAT
	nrMkdirat    = syscall.SYS_MKDIRAT

	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
)

// searchFlags open a directory only to resolve names in it (O_PATH: no read permission needed).
// oPath is Linux's O_PATH (the syscall package does not name it).
const oPath = 0x200000

const searchFlags = oPath | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC

func attrOf(st *syscall.Stat_t) fileAttr {
	return fileAttr{
		mode: st.Mode, uid: st.Uid, gid: st.Gid, nlink: st.Nlink, rdev: st.Rdev, size: uint64(st.Size),
		blksize: uint64(st.Blksize), blocks: uint64(st.Blocks), ino: st.Ino, dev: st.Dev,
		atime: st.Atim, mtime: st.Mtim, ctime: st.Ctim,
	}
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
