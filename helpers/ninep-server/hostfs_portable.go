//go:build windows || (ninepportable && linux)

// The host without *at calls (Windows; on Linux with -tags ninepportable, so the same tests run
// against it): a directory handle is the directory's confined path — the export's root and names
// the server walked, each checked as one plain Windows name (winnames.go) and found, not through a
// symlink or junction, to be a directory — plus, on Windows, a handle held on each directory of the
// way so none can be renamed or swapped while a request uses the path (hostfs_windows.go: pinDir).
// Owners are the server's (SetOwner), modes come from the read-only attribute (portableMode).
package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
)

type owner struct{ uid, gid uint32 }

type dirHandle struct {
	path string
	own  *owner
	pins []pin
}

type hostFile struct {
	f   *os.File
	own *owner
	dir bool
}

// openRoot opens the exported directory: its path with the host's own links resolved (the export's
// root may be reached through one given by the host), held for the server's life.
func openRoot(root string) (*dirHandle, error) {
	p, err := resolveRoot(root)
	if err != nil {
		return nil, err
	}
	pn, err := pinDir(p)
	if err != nil {
		return nil, err
	}
	return &dirHandle{path: p, own: &owner{}, pins: []pin{pn}}, nil
}

func (d *dirHandle) setOwner(uid, gid uint32) { d.own.uid, d.own.gid = uid, gid }

// walk opens the directory at names below the root: each name checked, then found to be a directory
// itself (a symlink or junction is ELOOP, a file ENOTDIR) and, on Windows, held until close.
func (r *dirHandle) walk(names []string) (*dirHandle, error) {
	d := &dirHandle{path: r.path, own: r.own}
	for _, n := range names {
		p, err := d.child(n)
		if err == nil {
			var pn pin
			if pn, err = pinDir(p); err == nil {
				d.pins = append(d.pins, pn)
				d.path = p
				continue
			}
		}
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *dirHandle) close() error {
	for _, p := range d.pins {
		p.release()
	}
	d.pins = nil
	return nil
}

// child is the path of name in the directory ("." is the directory itself).
func (d *dirHandle) child(name string) (string, error) {
	if name == "." {
		return d.path, nil
	}
	if err := checkWindowsName(name); err != nil {
		return "", err
	}
	return filepath.Join(d.path, name), nil
}

func (d *dirHandle) lstat(name string) (fileAttr, error) {
	p, err := d.child(name)
	if err != nil {
		return fileAttr{}, err
	}
	return lstatPath(p, *d.own)
}

// open opens name itself with the guest's Linux flags (lOCreat creates it): a symlink is ELOOP, a
// directory opened for writing EISDIR, as Linux answers.
func (d *dirHandle) open(name string, lflags, mode uint32) (*hostFile, error) {
	p, err := d.child(name)
	if err != nil {
		return nil, err
	}
	a, err := lstatPath(p, *d.own)
	exists := err == nil
	switch {
	case err != nil && !(os.IsNotExist(err) && lflags&lOCreat != 0):
		return nil, err
	case exists && isSymlink(a):
		return nil, syscall.ELOOP
	case exists && lflags&lOCreat != 0 && lflags&lOExcl != 0:
		return nil, syscall.EEXIST
	case exists && isDir(a) && (lflags&lOAccmode != lORdonly || lflags&lOTrunc != 0):
		return nil, syscall.EISDIR
	}
	dir := exists && isDir(a)
	f, err := openNoFollow(p, lflags, mode, dir)
	if err != nil {
		return nil, err
	}
	return &hostFile{f: f, own: d.own, dir: dir}, nil
}

// openAttrs opens name itself (never through a symlink) to change its attributes; for writing only
// to truncate.
func (d *dirHandle) openAttrs(name string, truncate bool) (*hostFile, error) {
	p, err := d.child(name)
	if err != nil {
		return nil, err
	}
	a, err := lstatPath(p, *d.own)
	if err != nil {
		return nil, err
	}
	if isSymlink(a) {
		return nil, syscall.ELOOP
	}
	if truncate && isDir(a) {
		return nil, syscall.EISDIR
	}
	f, err := openAttrsNoFollow(p, truncate, isDir(a))
	if err != nil {
		return nil, err
	}
	return &hostFile{f: f, own: d.own, dir: isDir(a)}, nil
}

func (d *dirHandle) mkdir(name string, mode uint32) error {
	p, err := d.child(name)
	if err != nil {
		return err
	}
	return os.Mkdir(p, 0o755)
}

func (d *dirHandle) symlink(target, name string) error {
	p, err := d.child(name)
	if err != nil {
		return err
	}
	return makeSymlink(target, p)
}

func (d *dirHandle) readlink(name string) (string, error) {
	p, err := d.child(name)
	if err != nil {
		return "", err
	}
	a, err := lstatPath(p, *d.own)
	if err != nil {
		return "", err
	}
	if !isSymlink(a) {
		return "", syscall.EINVAL
	}
	return readSymlink(p)
}

// unlink removes name: a file or symlink, or with dir an empty directory (ENOTDIR, EISDIR otherwise).
func (d *dirHandle) unlink(name string, dir bool) error {
	p, err := d.child(name)
	if err != nil {
		return err
	}
	a, err := lstatPath(p, *d.own)
	if err != nil {
		return err
	}
	if dir && !isDir(a) {
		return syscall.ENOTDIR
	}
	if !dir && isDir(a) {
		return syscall.EISDIR
	}
	return os.Remove(p)
}

// chmod sets the read-only attribute of a file from its owner's write bit (directories and symlinks
// keep theirs).
func (d *dirHandle) chmod(name string, mode uint32) error {
	p, err := d.child(name)
	if err != nil {
		return err
	}
	a, err := lstatPath(p, *d.own)
	if err != nil || isDir(a) || isSymlink(a) {
		return err
	}
	return os.Chmod(p, portablePerm(mode))
}

// chown succeeds only as a no-op: the owner asked (-1 keeps one) is the one every file reports.
func (d *dirHandle) chown(name string, uid, gid int) error {
	if _, err := d.lstat(name); err != nil {
		return err
	}
	if (uid != -1 && uint32(uid) != d.own.uid) || (gid != -1 && uint32(gid) != d.own.gid) {
		return syscall.EPERM
	}
	return nil
}

func (d *dirHandle) list() ([]string, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func (d *dirHandle) statfs() (fsStats, error) { return statfsPath(d.path) }

// fromTo resolves a two-name request (rename, link): both confined paths, and the source's attributes
// (never through a symlink).
func fromTo(od *dirHandle, oname string, nd *dirHandle, nname string) (op, np string, a fileAttr, err error) {
	if op, err = od.child(oname); err != nil {
		return
	}
	if np, err = nd.child(nname); err != nil {
		return
	}
	a, err = lstatPath(op, *od.own)
	return
}

// renameAt moves oname to nname as Linux's rename does: over a file (replaced), over an empty
// directory (removed first; Windows does not replace one), not a directory over a file (ENOTDIR)
// nor a file over a directory (EISDIR). A change of case only is a rename, not a replacement.
func renameAt(od *dirHandle, oname string, nd *dirHandle, nname string) error {
	op, np, a, err := fromTo(od, oname, nd, nname)
	if err != nil {
		return err
	}
	if t, err := lstatPath(np, *nd.own); err == nil && !(t.ino == a.ino && t.dev == a.dev) {
		switch {
		case isDir(a) && !isDir(t):
			return syscall.ENOTDIR
		case !isDir(a) && isDir(t):
			return syscall.EISDIR
		case isDir(a):
			if err := os.Remove(np); err != nil {
				return err
			}
		}
	}
	return os.Rename(op, np)
}

// linkAt hard-links a file; a symlink or directory is EPERM (Windows' CreateHardLink would link the
// symlink's target).
func linkAt(od *dirHandle, oname string, nd *dirHandle, nname string) error {
	op, np, a, err := fromTo(od, oname, nd, nname)
	if err != nil {
		return err
	}
	if isSymlink(a) || isDir(a) {
		return syscall.EPERM
	}
	return os.Link(op, np)
}

// portablePerm is the host permission a Linux mode keeps: writable (0644) or read-only (0444).
func portablePerm(mode uint32) os.FileMode {
	if mode&0o200 != 0 {
		return 0o644
	}
	return 0o444
}

func (f *hostFile) pread(b []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (f *hostFile) pwrite(b []byte, off int64) (int, error) { return f.f.WriteAt(b, off) }

// sync flushes a file; a directory's handle has nothing to flush.
func (f *hostFile) sync() error {
	if f.dir {
		return nil
	}
	return f.f.Sync()
}

func (f *hostFile) stat() (fileAttr, error) { return statFile(f.f, *f.own) }

func (f *hostFile) chmod(mode uint32) error {
	if f.dir {
		return nil
	}
	return f.f.Chmod(portablePerm(mode))
}

func (f *hostFile) truncate(size int64) error { return f.f.Truncate(size) }

func (f *hostFile) setTimes(at, mt syscall.Timespec) error { return setFileTimes(f.f, at, mt) }

func (f *hostFile) close() error { return f.f.Close() }
