// The file requests: open, create, read, write, readdir, getattr, fsync (setattr: setattr.go; the
// requests on names: nameops.go), and the checks they share. Each resolves its fid's path from the root
// (server.go) and acts on the last name relative to its parent directory's handle; a read-only export
// refuses every change.
package main

import "syscall"

func (c *conn) writable() error {
	if c.s.readOnly {
		return syscall.EROFS
	}
	return nil
}

// decodedFid is fid n of a request whose fields are all decoded: a short request fails first.
func (c *conn) decodedFid(d *decoder, n uint32) (*fid, error) {
	if d.err != nil {
		return nil, d.err
	}
	return c.fid(n)
}

// decodedFids is fids a and b of a request whose fields are all decoded (see decodedFid).
func (c *conn) decodedFids(d *decoder, a, b uint32) (*fid, *fid, error) {
	fa, err := c.decodedFid(d, a)
	if err != nil {
		return nil, nil, err
	}
	fb, err := c.fid(b)
	if err != nil {
		return nil, nil, err
	}
	return fa, fb, nil
}

// mayMake checks that name may be made, removed or renamed to in a directory: the export is
// writable and name is one name.
func (c *conn) mayMake(name string) error {
	if err := c.writable(); err != nil {
		return err
	}
	return validName(name)
}

// changeIn runs do on the directory at dir for a change to name in it (see mayMake).
func (c *conn) changeIn(dir []string, name string, do func(d *dirHandle) error) error {
	if err := c.mayMake(name); err != nil {
		return err
	}
	return c.s.inDir(dir, do)
}

// iounit is the largest data count of one Rread or Twrite.
func (c *conn) iounit() uint32 { return c.msize - ioHeader }

// clampCount is a read's count cut to the iounit.
func (c *conn) clampCount(count uint32) uint32 {
	if count > c.iounit() {
		return c.iounit()
	}
	return count
}

// opened makes h the fid's open file and answers its qid and the iounit; h is closed if it fails.
func (c *conn) opened(f *fid, h *hostFile, e *encoder) error {
	a, err := h.stat()
	if err != nil {
		h.close()
		return err
	}
	f.file, f.dirs = h, nil
	e.qid(c.s.qidOf(a))
	e.u32(c.iounit())
	return nil
}

func (c *conn) lopen(d *decoder, e *encoder) error {
	n, flags := d.u32(), d.u32()
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if f.file != nil || f.xattr {
		return syscall.EBADF
	}
	if flags&lOAccmode != lORdonly || flags&lOTrunc != 0 {
		if err := c.writable(); err != nil {
			return err
		}
	}
	return c.s.inParent(f.path, func(d *dirHandle, name string) error {
		h, err := d.open(name, flags&^(lOCreat|lOExcl), 0)
		if err != nil {
			return err
		}
		return c.opened(f, h, e)
	})
}

func (c *conn) lcreate(d *decoder, e *encoder) error {
	n, name, flags, mode, _ := d.u32(), d.str(), d.u32(), d.u32(), d.u32()
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if err := c.mayMake(name); err != nil {
		return err
	}
	if f.file != nil {
		return syscall.EBADF
	}
	return c.s.inDir(f.path, func(d *dirHandle) error {
		h, err := d.open(name, flags|lOCreat, mode&0o7777)
		if err != nil {
			return err
		}
		if err := c.opened(f, h, e); err != nil {
			return err
		}
		f.path = join(f.path, name)
		return nil
	})
}

func (c *conn) read(d *decoder, e *encoder) error {
	n, off, count := d.u32(), d.u64(), d.u32()
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if f.xattr {
		e.u32(0)
		return nil
	}
	if f.file == nil {
		return syscall.EBADF
	}
	count = c.clampCount(count)
	buf := make([]byte, count)
	got, err := f.file.pread(buf, int64(off))
	if err != nil {
		return err
	}
	e.u32(uint32(got))
	e.b = append(e.b, buf[:got]...)
	return nil
}

func (c *conn) write(d *decoder, e *encoder) error {
	n, off, data := d.u32(), d.u64(), d.data()
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if f.file == nil {
		return syscall.EBADF
	}
	done := 0
	for done < len(data) {
		w, err := f.file.pwrite(data[done:], int64(off)+int64(done))
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
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if f.file == nil {
		return syscall.EBADF
	}
	if off == 0 || f.dirs == nil {
		if f.dirs, err = c.list(f); err != nil {
			return err
		}
	}
	count = c.clampCount(count)
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
	d, err := c.s.openDir(f.path)
	if err != nil {
		return nil, err
	}
	defer d.close()
	// A fresh listing by the host: the fid's own handle may be at any position.
	names, err := d.list()
	if err != nil {
		return nil, err
	}
	out := []dirent{{q: c.s.qidOf(self), typ: lDTDir, name: "."}, {q: c.s.qidOf(up), typ: lDTDir, name: ".."}}
	for _, name := range names {
		a, err := d.lstat(name)
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
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	var a fileAttr
	if f.file != nil {
		a, err = f.file.stat() // still answers for a file removed while open
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

func (c *conn) fsync(d *decoder) error {
	f, err := c.fid(d.u32())
	if err != nil {
		return err
	}
	if f.file == nil {
		return syscall.EBADF
	}
	if c.s.readOnly {
		return nil
	}
	return f.file.sync()
}
