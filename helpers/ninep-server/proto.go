// 9P2000.L message types and the session requests: version, attach, walk, clunk, flush, statfs,
// xattrs (none), locks (always granted), and the dispatch of every request to its handler.
package main

import "syscall"

const (
	tlerror      = 6
	rlerror      = 7
	tstatfs      = 8
	tlopen       = 12
	tlcreate     = 14
	tsymlink     = 16
	tmknod       = 18
	trename      = 20
	treadlink    = 22
	tgetattr     = 24
	tsetattr     = 26
	txattrwalk   = 30
	txattrcreate = 32
	treaddir     = 40
	tfsync       = 50
	tlock        = 52
	tgetlock     = 54
	tlink        = 70
	tmkdir       = 72
	trenameat    = 74
	tunlinkat    = 76
	tversion     = 100
	tauth        = 102
	tattach      = 104
	tflush       = 108
	twalk        = 110
	tread        = 116
	twrite       = 118
	tclunk       = 120
	tremove      = 122
)

const maxWalk = 16

// handle answers one request: the reply's type and body, or an error sent as Rlerror.
func (c *conn) handle(typ uint8, body []byte) (uint8, []byte, error) {
	d := &decoder{b: body}
	var e encoder
	var err error
	switch typ {
	case tversion:
		c.version(d, &e)
	case tauth:
		err = syscall.EOPNOTSUPP // no authentication: the socket's permissions are the access control
	case tattach:
		err = c.attach(d, &e)
	case tflush:
		_ = d.u16() // requests are answered in order, so the flushed one is already answered
	case twalk:
		err = c.walk(d, &e)
	case tclunk:
		var f *fid
		n := d.u32()
		if f, err = c.fid(n); err == nil {
			f.close()
			delete(c.fids, n)
		}
	case tstatfs:
		err = c.statfs(d, &e)
	case txattrwalk:
		err = c.xattrwalk(d, &e)
	case txattrcreate:
		err = syscall.EOPNOTSUPP
	case tlock:
		_, err = c.fid(d.u32())
		e.u8(0) // P9_LOCK_SUCCESS: locks are the guest's own business (one guest per share)
	case tgetlock:
		err = c.getlock(d, &e)
	case tlopen:
		err = c.lopen(d, &e)
	case tlcreate:
		err = c.lcreate(d, &e)
	case tread:
		err = c.read(d, &e)
	case twrite:
		err = c.write(d, &e)
	case treaddir:
		err = c.readdir(d, &e)
	case tgetattr:
		err = c.getattr(d, &e)
	case tsetattr:
		err = c.setattr(d)
	case tmkdir:
		err = c.mkdir(d, &e)
	case tsymlink:
		err = c.symlink(d, &e)
	case treadlink:
		err = c.readlink(d, &e)
	case tlink:
		err = c.link(d)
	case tmknod:
		err = syscall.EPERM // device nodes, fifos and sockets are not made on the host's disk
	case trename:
		err = c.rename(d)
	case trenameat:
		err = c.renameat(d)
	case tunlinkat:
		err = c.unlinkat(d)
	case tremove:
		err = c.remove(d)
	case tfsync:
		err = c.fsync(d)
	default:
		err = syscall.EOPNOTSUPP
	}
	if err == nil && d.err != nil {
		err = d.err
	}
	if err != nil {
		return rlerror, nil, err
	}
	return typ + 1, e.b, nil
}

func (c *conn) version(d *decoder, e *encoder) {
	msize, v := d.u32(), d.str()
	if d.err != nil {
		return
	}
	c.clunkAll()
	if msize > c.s.maxMsize {
		msize = c.s.maxMsize
	}
	if msize < 4096 {
		msize = 4096
	}
	c.msize = msize
	if v != "9P2000.L" {
		v = "unknown"
	}
	e.u32(msize)
	e.str(v)
}

func (c *conn) attach(d *decoder, e *encoder) error {
	n, afid, _, _, _ := d.u32(), d.u32(), d.str(), d.str(), d.u32()
	if d.err != nil {
		return d.err
	}
	if afid != noFid {
		return syscall.EOPNOTSUPP
	}
	a, err := c.s.lstat(nil)
	if err != nil {
		return err
	}
	if _, err := c.bind(n, nil); err != nil {
		return err
	}
	e.qid(c.s.qidOf(a))
	return nil
}

// walk follows names from a fid: ".." at the export's root stays there; a symlink can be the last
// name (the client reads it and resolves it itself) but never one walked through.
func (c *conn) walk(d *decoder, e *encoder) error {
	n, newN, count := d.u32(), d.u32(), d.u16()
	if count > maxWalk {
		return syscall.EINVAL
	}
	names := make([]string, count)
	for i := range names {
		names[i] = d.str()
	}
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if newN != n {
		if _, used := c.fids[newN]; used || newN == noFid {
			return syscall.EBADF
		}
	}
	path := append([]string{}, f.path...)
	qids := make([]qid, 0, count)
	for i, name := range names {
		switch name {
		case "..":
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case ".":
		default:
			if err := validName(name); err != nil {
				return err
			}
			path = append(path, name)
		}
		a, err := c.s.lstat(path)
		if err != nil {
			if i == 0 {
				return err
			}
			break
		}
		qids = append(qids, c.s.qidOf(a))
	}
	if len(qids) == len(names) {
		if newN == n {
			f.path = path
		} else {
			c.fids[newN] = &fid{path: path}
		}
	}
	e.u16(uint16(len(qids)))
	for _, q := range qids {
		e.qid(q)
	}
	return nil
}

func (c *conn) statfs(d *decoder, e *encoder) error {
	if _, err := c.fid(d.u32()); err != nil {
		return err
	}
	st, err := c.s.root.statfs()
	if err != nil {
		return err
	}
	e.u32(st.typ)
	e.u32(st.bsize)
	e.u64(st.blocks)
	e.u64(st.bfree)
	e.u64(st.bavail)
	e.u64(st.files)
	e.u64(st.ffree)
	e.u64(st.fsid)
	e.u32(st.namelen)
	return nil
}

// xattrwalk: the export has no extended attributes. Listing them gives an empty list; reading one
// answers ENODATA ("no such attribute"), which getxattr callers expect.
func (c *conn) xattrwalk(d *decoder, e *encoder) error {
	n, newN, name := d.u32(), d.u32(), d.str()
	f, err := c.decodedFid(d, n)
	if err != nil {
		return err
	}
	if name != "" {
		return syscall.ENODATA
	}
	nf, err := c.bind(newN, append([]string{}, f.path...))
	if err != nil {
		return err
	}
	nf.xattr = true
	e.u64(0)
	return nil
}

// getlock: no lock is ever held against the caller.
func (c *conn) getlock(d *decoder, e *encoder) error {
	n := d.u32()
	_ = d.u8()
	start, length, procID, client := d.u64(), d.u64(), d.u32(), d.str()
	if _, err := c.fid(n); err != nil {
		return err
	}
	e.u8(2) // F_UNLCK
	e.u64(start)
	e.u64(length)
	e.u32(procID)
	e.str(client)
	return nil
}
