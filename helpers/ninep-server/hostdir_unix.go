//go:build (linux || darwin) && !ninepportable

// The handles of hostapi.go on Linux and macOS: a directory is an fd opened by name from its parent's
// fd with O_NOFOLLOW|O_DIRECTORY, an open file is an fd; every call acts on one name through them.
package main

import (
	"os"
	"syscall"
)

type dirHandle struct{ fd int }

type hostFile struct{ fd int }

// openRoot opens the exported directory; the export's root itself may be reached through a symlink
// given by the host, nothing below it is.
func openRoot(root string) (*dirHandle, error) {
	fd, err := syscall.Open(root, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &dirHandle{fd}, nil
}

// walk opens the directory at names below the root: each name with O_NOFOLLOW|O_DIRECTORY, so a
// symlink anywhere on the way fails (ELOOP/ENOTDIR) instead of leading out.
func (r *dirHandle) walk(names []string) (*dirHandle, error) {
	fd, err := openat(r.fd, ".", searchFlags, 0)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		next, err := openat(fd, n, searchFlags, 0)
		syscall.Close(fd)
		if err != nil {
			return nil, err
		}
		fd = next
	}
	return &dirHandle{fd}, nil
}

func (d *dirHandle) close() error { return syscall.Close(d.fd) }

// setOwner does nothing here: files on Linux and macOS report their own owners (see Server.SetOwner).
func (d *dirHandle) setOwner(uid, gid uint32) {}

func (d *dirHandle) lstat(name string) (fileAttr, error) {
	return fstatat(d.fd, name, atSymlinkNofollow)
}

// open opens name with the guest's Linux flags (lOCreat creates it with mode); never through a symlink.
func (d *dirHandle) open(name string, lflags, mode uint32) (*hostFile, error) {
	flags := hostOpenFlags(lflags) | syscall.O_NONBLOCK
	if lflags&lOCreat != 0 {
		flags |= syscall.O_CREAT
	}
	fd, err := openat(d.fd, name, flags, mode&0o7777)
	if err != nil {
		return nil, err
	}
	return &hostFile{fd}, nil
}

// openAttrs opens name itself (never through a symlink) to change its attributes; for writing only
// to truncate.
func (d *dirHandle) openAttrs(name string, truncate bool) (*hostFile, error) {
	flags := syscall.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if truncate {
		flags = syscall.O_WRONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	}
	fd, err := openat(d.fd, name, flags, 0)
	if err != nil {
		return nil, err
	}
	return &hostFile{fd}, nil
}

func (d *dirHandle) mkdir(name string, mode uint32) error { return mkdirat(d.fd, name, mode&0o7777) }

func (d *dirHandle) symlink(target, name string) error { return symlinkat(target, d.fd, name) }

func (d *dirHandle) readlink(name string) (string, error) { return readlinkat(d.fd, name) }

func (d *dirHandle) unlink(name string, dir bool) error { return unlinkat(d.fd, name, dir) }

func (d *dirHandle) chmod(name string, mode uint32) error { return fchmodat(d.fd, name, mode&0o7777) }

// chown changes the owner of name itself (-1 keeps one); a symlink is not followed.
func (d *dirHandle) chown(name string, uid, gid int) error { return fchownat(d.fd, name, uid, gid) }

// list is the names in the directory, read through a fresh descriptor.
func (d *dirHandle) list() ([]string, error) {
	lfd, err := openat(d.fd, ".", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(lfd), "dir")
	defer dir.Close()
	return dir.Readdirnames(-1)
}

func (d *dirHandle) statfs() (fsStats, error) { return statfs(d.fd) }

func renameAt(od *dirHandle, oname string, nd *dirHandle, nname string) error {
	return renameat(od.fd, oname, nd.fd, nname)
}

// linkAt links oname itself (a symlink is linked, not followed).
func linkAt(od *dirHandle, oname string, nd *dirHandle, nname string) error {
	return linkat(od.fd, oname, nd.fd, nname)
}

func (f *hostFile) pread(b []byte, off int64) (int, error)  { return syscall.Pread(f.fd, b, off) }
func (f *hostFile) pwrite(b []byte, off int64) (int, error) { return syscall.Pwrite(f.fd, b, off) }
func (f *hostFile) sync() error                             { return syscall.Fsync(f.fd) }
func (f *hostFile) stat() (fileAttr, error)                 { return fstat(f.fd) }
func (f *hostFile) chmod(mode uint32) error                 { return syscall.Fchmod(f.fd, mode&0o7777) }
func (f *hostFile) truncate(size int64) error               { return syscall.Ftruncate(f.fd, size) }
func (f *hostFile) close() error                            { return syscall.Close(f.fd) }

func (f *hostFile) setTimes(at, mt syscall.Timespec) error {
	tv := []syscall.Timeval{syscall.NsecToTimeval(syscall.TimespecToNsec(at)), syscall.NsecToTimeval(syscall.TimespecToNsec(mt))}
	return syscall.Futimes(f.fd, tv)
}
