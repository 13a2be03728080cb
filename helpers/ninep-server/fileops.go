// The file requests: open, create, read, write, readdir, getattr, setattr, mkdir, symlink, readlink,
// link, rename, unlink, remove, fsync. Each resolves its fid's path from the root (server.go) and acts
// on the last name relative to its parent directory's fd; a read-only export refuses every change.
package main

import (
	"os"
	"syscall"
)

func (c *conn) writable() error {
	if c.s.readOnly {
		return syscall.EROFS
	}
	return nil
}

func (c *conn) lopen(d *decoder, e *encoder) error {
	n, flags := d.u32(), d.u32()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if f.fd >= 0 || f.xattr {
		return syscall.EBADF
	}
	if flags&lOAccmode != syscall.O_RDONLY || flags&lOTrunc != 0 {
		if err := c.writable(); err != nil {
			return err
		}
	}
	dfd, name, err := c.s.parent(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(dfd)
	fd, err := openat(dfd, name, hostOpenFlags(flags&^(lOCreat|lOExcl))|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	a, err := fstat(fd)
	if err != nil {
		syscall.Close(fd)
		return err
	}
	f.fd, f.dirs = fd, nil
	e.qid(c.s.qidOf(a))
	e.u32(c.msize - ioHeader)
	return nil
}

func (c *conn) lcreate(d *decoder, e *encoder) error {
	n, name, flags, mode, _ := d.u32(), d.str(), d.u32(), d.u32(), d.u32()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if err := c.writable(); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	if f.fd >= 0 {
		return syscall.EBADF
	}
	dfd, err := c.s.openDir(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(dfd)
	fd, err := openat(dfd, name, hostOpenFlags(flags)|syscall.O_CREAT, mode&0o7777)
	if err != nil {
		return err
	}
	a, err := fstat(fd)
	if err != nil {
		syscall.Close(fd)
		return err
	}
	f.path, f.fd = join(f.path, name), fd
	e.qid(c.s.qidOf(a))
	e.u32(c.msize - ioHeader)
	return nil
}

func (c *conn) read(d *decoder, e *encoder) error {
	n, off, count := d.u32(), d.u64(), d.u32()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if f.xattr {
		e.u32(0)
		return nil
	}
	if f.fd < 0 {
		return syscall.EBADF
	}
	if max := c.msize - ioHeader; count > max {
		count = max
	}
	buf := make([]byte, count)
	got, err := syscall.Pread(f.fd, buf, int64(off))
	if err != nil {
		return err
	}
	e.u32(uint32(got))
	e.b = append(e.b, buf[:got]...)
	return nil
}

func (c *conn) write(d *decoder, e *encoder) error {
	n, off, data := d.u32(), d.u64(), d.data()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if f.fd < 0 {
		return syscall.EBADF
	}
	done := 0
	for done < len(data) {
		w, err := syscall.Pwrite(f.fd, data[done:], int64(off)+int64(done))
		if err != nil {
			if done > 0 {
				break
			}
			return err
		}
		done += w
	}
	e.u32(uint32(done))
	return nil
}

type dirent struct {
	q    qid
	typ  uint8
	name string
}

// readdir answers from a listing taken when the directory is read from offset 0; entry i is at
// offset i+1. "." and ".." come first (".." of the export's root is the root itself).
func (c *conn) readdir(d *decoder, e *encoder) error {
	n, off, count := d.u32(), d.u64(), d.u32()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if f.fd < 0 {
		return syscall.EBADF
	}
	if off == 0 || f.dirs == nil {
		if f.dirs, err = c.list(f); err != nil {
			return err
		}
	}
	if max := c.msize - ioHeader; count > max {
		count = max
	}
	var out encoder
	for i := off; i < uint64(len(f.dirs)); i++ {
		de := f.dirs[i]
		if uint32(len(out.b)+qidSize+8+1+2+len(de.name)) > count {
			break
		}
		out.qid(de.q)
		out.u64(i + 1)
		out.u8(de.typ)
		out.str(de.name)
	}
	e.u32(uint32(len(out.b)))
	e.b = append(e.b, out.b...)
	return nil
}

func (c *conn) list(f *fid) ([]dirent, error) {
	self, err := c.s.lstat(f.path)
	if err != nil {
		return nil, err
	}
	up := self
	if len(f.path) > 0 {
		if up, err = c.s.lstat(f.path[:len(f.path)-1]); err != nil {
			return nil, err
		}
	}
	dfd, err := c.s.openDir(f.path)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(dfd)
	// A fresh descriptor for the listing: the fid's own may be at any position.
	lfd, err := openat(dfd, ".", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(lfd), "dir")
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return nil, err
	}
	out := []dirent{{q: c.s.qidOf(self), typ: syscall.DT_DIR, name: "."}, {q: c.s.qidOf(up), typ: syscall.DT_DIR, name: ".."}}
	for _, name := range names {
		a, err := fstatat(dfd, name, atSymlinkNofollow)
		if err != nil {
			continue // gone since the listing
		}
		out = append(out, dirent{q: c.s.qidOf(a), typ: uint8(a.mode >> 12), name: name})
	}
	return out, nil
}

const getattrBasic = 0x7ff

func (c *conn) getattr(d *decoder, e *encoder) error {
	n, _ := d.u32(), d.u64()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	var a fileAttr
	if f.fd >= 0 {
		a, err = fstat(f.fd) // still answers for a file removed while open
	} else {
		a, err = c.s.lstat(f.path)
	}
	if err != nil {
		return err
	}
	e.u64(getattrBasic)
	e.qid(c.s.qidOf(a))
	e.u32(a.mode)
	e.u32(a.uid)
	e.u32(a.gid)
	e.u64(a.nlink)
	e.u64(a.rdev)
	e.u64(a.size)
	e.u64(a.blksize)
	e.u64(a.blocks)
	for _, t := range []syscall.Timespec{a.atime, a.mtime, a.ctime, {}} {
		e.u64(uint64(t.Sec))
		e.u64(uint64(t.Nsec))
	}
	e.u64(0) // gen
	e.u64(0) // data_version
	return nil
}

func (c *conn) mkdir(d *decoder, e *encoder) error {
	n, name, mode, _ := d.u32(), d.str(), d.u32(), d.u32()
	return c.makeIn(d, e, n, name, func(dfd int) error { return mkdirat(dfd, name, mode&0o7777) })
}

func (c *conn) symlink(d *decoder, e *encoder) error {
	n, name, target, _ := d.u32(), d.str(), d.str(), d.u32()
	return c.makeIn(d, e, n, name, func(dfd int) error { return symlinkat(target, dfd, name) })
}

// makeIn creates name in the directory of fid n with make, and answers the new file's qid.
func (c *conn) makeIn(d *decoder, e *encoder, n uint32, name string, make func(dfd int) error) error {
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if err := c.writable(); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	dfd, err := c.s.openDir(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(dfd)
	if err := make(dfd); err != nil {
		return err
	}
	a, err := fstatat(dfd, name, atSymlinkNofollow)
	if err != nil {
		return err
	}
	e.qid(c.s.qidOf(a))
	return nil
}

func (c *conn) readlink(d *decoder, e *encoder) error {
	f, err := c.fid(d.u32())
	if err != nil {
		return err
	}
	dfd, name, err := c.s.parent(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(dfd)
	t, err := readlinkat(dfd, name)
	if err != nil {
		return err
	}
	e.str(t)
	return nil
}

func (c *conn) link(d *decoder) error {
	dn, n, name := d.u32(), d.u32(), d.str()
	if d.err != nil {
		return d.err
	}
	df, err := c.fid(dn)
	if err != nil {
		return err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if err := c.writable(); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	if len(f.path) == 0 {
		return syscall.EPERM
	}
	ofd, oname, err := c.s.parent(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(ofd)
	nfd, err := c.s.openDir(df.path)
	if err != nil {
		return err
	}
	defer syscall.Close(nfd)
	return linkat(ofd, oname, nfd, name)
}

// move renames from (a path) to the name in the directory to; fids below from follow it.
func (c *conn) move(from []string, toDir []string, name string) error {
	if err := c.writable(); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	if len(from) == 0 {
		return syscall.EBUSY // the export's root
	}
	ofd, oname, err := c.s.parent(from)
	if err != nil {
		return err
	}
	defer syscall.Close(ofd)
	nfd, err := c.s.openDir(toDir)
	if err != nil {
		return err
	}
	defer syscall.Close(nfd)
	if err := renameat(ofd, oname, nfd, name); err != nil {
		return err
	}
	c.renamed(from, join(toDir, name))
	return nil
}

func (c *conn) rename(d *decoder) error {
	n, dn, name := d.u32(), d.u32(), d.str()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	df, err := c.fid(dn)
	if err != nil {
		return err
	}
	return c.move(append([]string{}, f.path...), df.path, name)
}

func (c *conn) renameat(d *decoder) error {
	on, oname, nn, nname := d.u32(), d.str(), d.u32(), d.str()
	if d.err != nil {
		return d.err
	}
	of, err := c.fid(on)
	if err != nil {
		return err
	}
	nf, err := c.fid(nn)
	if err != nil {
		return err
	}
	if err := validName(oname); err != nil {
		return err
	}
	return c.move(join(of.path, oname), append([]string{}, nf.path...), nname)
}

func (c *conn) unlinkat(d *decoder) error {
	n, name, flags := d.u32(), d.str(), d.u32()
	if d.err != nil {
		return d.err
	}
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	if err := c.writable(); err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	dfd, err := c.s.openDir(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(dfd)
	return unlinkat(dfd, name, flags&lATRemovedir != 0)
}

// remove unlinks the fid's file or empty directory; the fid is clunked whatever the outcome.
func (c *conn) remove(d *decoder) error {
	n := d.u32()
	f, err := c.fid(n)
	if err != nil {
		return err
	}
	f.close()
	delete(c.fids, n)
	if err := c.writable(); err != nil {
		return err
	}
	if len(f.path) == 0 {
		return syscall.EBUSY
	}
	dfd, name, err := c.s.parent(f.path)
	if err != nil {
		return err
	}
	defer syscall.Close(dfd)
	a, err := fstatat(dfd, name, atSymlinkNofollow)
	if err != nil {
		return err
	}
	return unlinkat(dfd, name, isDir(a))
}

func (c *conn) fsync(d *decoder) error {
	f, err := c.fid(d.u32())
	if err != nil {
		return err
	}
	if f.fd < 0 {
		return syscall.EBADF
	}
	if c.s.readOnly {
		return nil
	}
	return syscall.Fsync(f.fd)
}
