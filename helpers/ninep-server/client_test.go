// A minimal 9P2000.L client for the tests: it speaks to a Server over an in-memory pipe.
package main

import (
	"net"
	"syscall"
	"testing"
)

type tclient struct {
	t   *testing.T
	c   net.Conn
	tag uint16
}

func newClient(t *testing.T, root string, readOnly bool) *tclient {
	t.Helper()
	s, err := NewServer(root, readOnly, MaxMsizeHyperkit)
	if err != nil {
		t.Fatal(err)
	}
	return clientOf(t, s)
}

// clientOf attaches a new client to s (closed with the test).
func clientOf(t *testing.T, s *Server) *tclient {
	t.Helper()
	a, b := net.Pipe()
	go s.ServeConn(b)
	t.Cleanup(func() { a.Close(); s.Close() })
	c := &tclient{t: t, c: a}
	var e encoder
	e.u32(1 << 20)
	e.str("9P2000.L")
	d := c.must(tversion, e.b)
	if m := d.u32(); m != MaxMsizeHyperkit {
		t.Fatalf("msize %d, want %d", m, MaxMsizeHyperkit)
	}
	e = encoder{}
	e.u32(0)
	e.u32(noFid)
	e.str("root")
	e.str("")
	e.u32(0)
	c.must(tattach, e.b)
	return c
}

// rpc sends one request and returns the reply's decoder, or the errno of an Rlerror.
func (c *tclient) rpc(typ uint8, body []byte) (*decoder, syscall.Errno) {
	c.t.Helper()
	c.tag++
	if _, err := c.c.Write(message(typ, c.tag, body)); err != nil {
		c.t.Fatal(err)
	}
	rt, tag, rb, err := readMessage(c.c, 1<<20)
	if err != nil {
		c.t.Fatal(err)
	}
	if tag != c.tag {
		c.t.Fatalf("reply tag %d, want %d", tag, c.tag)
	}
	d := &decoder{b: rb}
	if rt == rlerror {
		return nil, hostErrno(d.u32())
	}
	if rt != typ+1 {
		c.t.Fatalf("reply type %d to %d", rt, typ)
	}
	return d, 0
}

// hostErrno is the host's name for a Linux errno the server answered (on Windows Go invents other
// numbers for the same names), so tests compare with syscall.EINVAL and the like on every host.
func hostErrno(l uint32) syscall.Errno {
	for _, e := range []syscall.Errno{syscall.EPERM, syscall.ENOENT, syscall.EIO, syscall.EBADF, syscall.EACCES, syscall.EBUSY,
		syscall.EEXIST, syscall.EXDEV, syscall.ENOTDIR, syscall.EISDIR, syscall.EINVAL, syscall.ENOSPC, syscall.EROFS,
		syscall.ENAMETOOLONG, syscall.ENOTEMPTY, syscall.ELOOP, syscall.ENODATA, syscall.EOPNOTSUPP} {
		if linuxErrno(e) == l {
			return e
		}
	}
	return syscall.Errno(l)
}

func (c *tclient) must(typ uint8, body []byte) *decoder {
	c.t.Helper()
	d, e := c.rpc(typ, body)
	if e != 0 {
		c.t.Fatalf("request %d: %v", typ, e)
	}
	return d
}

func (c *tclient) walk(from, to uint32, names ...string) (int, syscall.Errno) {
	var e encoder
	e.u32(from)
	e.u32(to)
	e.u16(uint16(len(names)))
	for _, n := range names {
		e.str(n)
	}
	d, errno := c.rpc(twalk, e.b)
	if errno != 0 {
		return 0, errno
	}
	return int(d.u16()), 0
}

func (c *tclient) lopen(f uint32, flags uint32) syscall.Errno {
	var e encoder
	e.u32(f)
	e.u32(flags)
	_, errno := c.rpc(tlopen, e.b)
	return errno
}

func (c *tclient) lcreate(f uint32, name string, flags, mode uint32) syscall.Errno {
	var e encoder
	e.u32(f)
	e.str(name)
	e.u32(flags)
	e.u32(mode)
	e.u32(0)
	_, errno := c.rpc(tlcreate, e.b)
	return errno
}

func (c *tclient) write(f uint32, off uint64, data string) (uint32, syscall.Errno) {
	var e encoder
	e.u32(f)
	e.u64(off)
	e.u32(uint32(len(data)))
	e.b = append(e.b, data...)
	d, errno := c.rpc(twrite, e.b)
	if errno != 0 {
		return 0, errno
	}
	return d.u32(), 0
}

func (c *tclient) read(f uint32, off uint64, count uint32) (string, syscall.Errno) {
	var e encoder
	e.u32(f)
	e.u64(off)
	e.u32(count)
	d, errno := c.rpc(tread, e.b)
	if errno != 0 {
		return "", errno
	}
	return string(d.data()), 0
}

func (c *tclient) clunk(f uint32) {
	var e encoder
	e.u32(f)
	c.must(tclunk, e.b)
}

// getattr returns mode and size.
func (c *tclient) getattr(f uint32) (uint32, uint64, syscall.Errno) {
	var e encoder
	e.u32(f)
	e.u64(getattrBasic)
	d, errno := c.rpc(tgetattr, e.b)
	if errno != 0 {
		return 0, 0, errno
	}
	d.u64()
	d.take(qidSize)
	mode := d.u32()
	d.u32()
	d.u32()
	d.u64()
	d.u64()
	return mode, d.u64(), 0
}

func (c *tclient) readdir(f uint32) []string {
	var names []string
	off := uint64(0)
	for {
		var e encoder
		e.u32(f)
		e.u64(off)
		e.u32(8192)
		d := c.must(treaddir, e.b)
		data := &decoder{b: d.data()}
		if len(data.b) == 0 {
			return names
		}
		for len(data.b) > 0 {
			data.take(qidSize)
			off = data.u64()
			data.u8()
			names = append(names, data.str())
		}
	}
}

func (c *tclient) nameOp(typ uint8, f uint32, parts ...interface{}) syscall.Errno {
	var e encoder
	e.u32(f)
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			e.str(v)
		case uint32:
			e.u32(v)
		}
	}
	_, errno := c.rpc(typ, e.b)
	return errno
}
