// What the server asks of a host, whatever the host: the attributes it reports, Linux's mode bits and
// open flags as 9P2000.L carries them. Each host (hostdir_unix.go over hostfs.go: Linux and macOS by
// *at calls; hostfs_portable.go: Windows, or Linux with -tags ninepportable) gives the same handles:
//
//	openRoot(path) (*dirHandle, error)       the export; root.walk(names) opens a directory below it
//	d.lstat/open/openAttrs/mkdir/symlink/readlink/unlink/chmod/chown/list/statfs(name …)
//	renameAt, linkAt (two directories)       f.pread/pwrite/sync/stat/chmod/truncate/setTimes/close
//
// Every name is one name in an open directory; no host call resolves a path the server did not walk.
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

// Linux's file type bits (the guest's values; Windows' syscall package invents others).
const (
	lSIFMT  = 0o170000
	lSIFDIR = 0o040000
	lSIFREG = 0o100000
	lSIFLNK = 0o120000
	lDTDir  = 4 // DT_DIR of a readdir entry
)

func isDir(a fileAttr) bool     { return a.mode&lSIFMT == lSIFDIR }
func isSymlink(a fileAttr) bool { return a.mode&lSIFMT == lSIFLNK }

// Linux's open flags as 9P2000.L carries them (the client's values, whatever the host's are).
const (
	lOAccmode    = 0x3
	lORdonly     = 0x0
	lOWronly     = 0x1
	lORdwr       = 0x2
	lOCreat      = 0o100
	lOExcl       = 0o200
	lOTrunc      = 0o1000
	lOAppend     = 0o2000
	lATRemovedir = 0x200
)
