// The host calls the server makes, in one portable shape: every path is one name relative to an open
// directory (openat-style), so no call ever resolves a path the server did not walk itself.
package main

import "syscall"

// fileAttr is what getattr reports, from the host's stat whatever its layout.
type fileAttr struct {
	mode, uid, gid                     uint32
	nlink, rdev, size, blksize, blocks uint64
	ino, dev                           uint64
	atime, mtime, ctime                syscall.Timespec
}

// fsStats is what statfs reports.
type fsStats struct {
	typ, bsize                                uint32
	blocks, bfree, bavail, files, ffree, fsid uint64
	namelen                                   uint32
}

func isDir(a fileAttr) bool     { return a.mode&syscall.S_IFMT == syscall.S_IFDIR }
func isSymlink(a fileAttr) bool { return a.mode&syscall.S_IFMT == syscall.S_IFLNK }

// Linux's open flags as 9P2000.L carries them (the client's values, whatever the host's are).
const (
	lOAccmode    = 0x3
	lOCreat      = 0o100
	lOExcl       = 0o200
	lOTrunc      = 0o1000
	lOAppend     = 0o2000
	lATRemovedir = 0x200
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
