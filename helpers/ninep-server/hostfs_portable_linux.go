//go:build ninepportable && linux

// The portable host's primitives on Linux, for testing it (-tags ninepportable): plain path calls
// with O_NOFOLLOW where Windows opens a reparse point itself, the inode where Windows gives a file
// index, statfs where Windows asks GetDiskFreeSpaceEx. No handle holds a directory in place (Linux
// has none that stops a rename): the Windows build's pins are proven only on Windows.
package main

import (
	"os"
	"path/filepath"
	"syscall"
)

type pin struct{}

func (pin) release() {}

// pinDir checks that p is a directory itself, not a symlink to one.
func pinDir(p string) (pin, error) {
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		return pin{}, err
	case fi.Mode()&os.ModeSymlink != 0:
		return pin{}, syscall.ELOOP
	case !fi.IsDir():
		return pin{}, syscall.ENOTDIR
	}
	return pin{}, nil
}

func resolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// openNoFollow opens p itself with the guest's Linux flags; a file it creates is read-only unless
// mode lets its owner write.
func openNoFollow(p string, lflags, mode uint32, dir bool) (*os.File, error) {
	flags := int(lflags&lOAccmode) | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if lflags&lOCreat != 0 {
		flags |= syscall.O_CREAT
	}
	if lflags&lOExcl != 0 {
		flags |= syscall.O_EXCL
	}
	if lflags&lOTrunc != 0 {
		flags |= syscall.O_TRUNC
	}
	return os.OpenFile(p, flags, portablePerm(mode))
}

func openAttrsNoFollow(p string, truncate, dir bool) (*os.File, error) {
	flags := syscall.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if truncate {
		flags = syscall.O_WRONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	}
	return os.OpenFile(p, flags, 0)
}

func lstatPath(p string, own owner) (fileAttr, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return fileAttr{}, err
	}
	return attrOfInfo(fi, own), nil
}

func statFile(f *os.File, own owner) (fileAttr, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileAttr{}, err
	}
	return attrOfInfo(fi, own), nil
}

func attrOfInfo(fi os.FileInfo, own owner) fileAttr {
	st := fi.Sys().(*syscall.Stat_t)
	size := uint64(fi.Size())
	return fileAttr{
		mode: portableMode(fi.IsDir(), fi.Mode()&os.ModeSymlink != 0, fi.Mode().Perm()&0o200 == 0),
		uid:  own.uid, gid: own.gid, nlink: uint64(st.Nlink), size: size, blksize: 4096, blocks: (size + 511) / 512,
		ino: st.Ino, dev: st.Dev, atime: st.Atim, mtime: st.Mtim, ctime: st.Ctim,
	}
}

func statfsPath(p string) (fsStats, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(p, &s); err != nil {
		return fsStats{}, err
	}
	return fsStats{typ: uint32(s.Type), bsize: uint32(s.Bsize), blocks: s.Blocks, bfree: s.Bfree, bavail: s.Bavail, files: s.Files, ffree: s.Ffree, namelen: maxNameUTF16}, nil
}

func makeSymlink(target, p string) error { return os.Symlink(target, p) }

func readSymlink(p string) (string, error) { return os.Readlink(p) }

func setFileTimes(f *os.File, at, mt syscall.Timespec) error {
	tv := []syscall.Timeval{syscall.NsecToTimeval(syscall.TimespecToNsec(at)), syscall.NsecToTimeval(syscall.TimespecToNsec(mt))}
	return syscall.Futimes(int(f.Fd()), tv)
}

// linuxErrno is the errno 9P2000.L carries: the host's own on Linux.
func linuxErrno(e syscall.Errno) uint32 { return uint32(e) }
