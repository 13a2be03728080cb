// The requests on names in a directory: mkdir, symlink, readlink, link, rename, renameat, unlinkat,
// remove. Each acts on one name relative to its directory's handle, resolved from the root (server.go).
package main

import "syscall"

func (c *conn) mkdir(d *decoder, e *encoder) error {
	n, name, mode, _ := d.u32(), d.str(), d.u32(), d.u32()
	return c.makeIn(d, e, n, name, func(dir *dirHandle) error { return dir.mkdir(name, mode&0o7777) })
}

func (c *conn) symlink(d *decoder, e *encoder) error {
	n, name, target, _ := d.u32(), d.str(), d.str(), d.u32()
	return c.makeIn(d, e, n, name, func(dir *dirHandle) error {
		if err := dir.symlink(target, name); err != nil {
			c.s.Log("symlink %q → %q failed: %v", name, target, err)
			return err
		}
		return nil
	})
}

// makeIn creates name in the directory of fid n with make, and answers the new file's qid.
func (c *conn) makeIn(d *decoder, e *encoder, n uint32, name string, make func(dir *dirHandle) error) error {
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	return c.changeIn(f.path, name, func(dir *dirHandle) error {
		if err := make(dir); err != nil {
			return err
		}
		a, err := dir.lstat(name)
		if err != nil {
			return err
		}
		e.qid(c.s.qidOf(a))
		return nil
	})
}

func (c *conn) readlink(d *decoder, e *encoder) error {
	f, err := c.fid(d.u32())
	if err != nil {
		return err
	}
	return c.s.inParent(f.path, func(dir *dirHandle, name string) error {
		t, err := dir.readlink(name)
		if err != nil {
			return err
		}
		e.str(t)
		return nil
	})
}

func (c *conn) link(d *decoder) error {
	dn, n, name := d.u32(), d.u32(), d.str()
	df, f, err := c.decodedFids(d, dn, n)
	if err != nil {
		return err
	}
	if err := c.mayMake(name); err != nil {
		return err
	}
	if len(f.path) == 0 {
		return syscall.EPERM
	}
	return c.s.acrossDirs(f.path, df.path, func(od *dirHandle, oname string, nd *dirHandle) error {
		return linkAt(od, oname, nd, name)
	})
}

// move renames from (a path) to the name in the directory to; fids below from follow it.
func (c *conn) move(from []string, toDir []string, name string) error {
	if err := c.mayMake(name); err != nil {
		return err
	}
	if len(from) == 0 {
		return syscall.EBUSY // the export's root
	}
	err := c.s.acrossDirs(from, toDir, func(od *dirHandle, oname string, nd *dirHandle) error {
		return renameAt(od, oname, nd, name)
	})
	if err != nil {
		return err
	}
	c.renamed(from, join(toDir, name))
	return nil
}

func (c *conn) rename(d *decoder) error {
	n, dn, name := d.u32(), d.u32(), d.str()
	f, df, err := c.decodedFids(d, n, dn)
	if err != nil {
		return err
	}
	return c.move(append([]string{}, f.path...), df.path, name)
}

func (c *conn) renameat(d *decoder) error {
	on, oname, nn, nname := d.u32(), d.str(), d.u32(), d.str()
	of, nf, err := c.decodedFids(d, on, nn)
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
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	return c.changeIn(f.path, name, func(dir *dirHandle) error {
		return dir.unlink(name, flags&lATRemovedir != 0)
	})
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
	return c.s.inParent(f.path, func(dir *dirHandle, name string) error {
		a, err := dir.lstat(name)
		if err != nil {
			return err
		}
		return dir.unlink(name, isDir(a))
	})
}
