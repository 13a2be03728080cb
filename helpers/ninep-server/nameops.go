// The requests on names in a directory: mkdir, symlink, readlink, link, rename, renameat, unlinkat,
// remove. Each acts on one name relative to its directory's fd, resolved from the root (server.go).
package main

import "syscall"

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
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	return c.changeIn(f.path, name, func(dfd int) error {
		if err := make(dfd); err != nil {
			return err
		}
		a, err := fstatat(dfd, name, atSymlinkNofollow)
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
	return c.s.inParent(f.path, func(dfd int, name string) error {
		t, err := readlinkat(dfd, name)
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
	return c.s.acrossDirs(f.path, df.path, func(ofd int, oname string, nfd int) error {
		return linkat(ofd, oname, nfd, name)
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
	err := c.s.acrossDirs(from, toDir, func(ofd int, oname string, nfd int) error {
		return renameat(ofd, oname, nfd, name)
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
	return c.changeIn(f.path, name, func(dfd int) error {
		return unlinkat(dfd, name, flags&lATRemovedir != 0)
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
	return c.s.inParent(f.path, func(dfd int, name string) error {
		a, err := fstatat(dfd, name, atSymlinkNofollow)
		if err != nil {
			return err
		}
		return unlinkat(dfd, name, isDir(a))
	})
}
