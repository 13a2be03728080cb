// The 9P2000.L server: one exported host directory, its connections and their fids. A fid names a
// path inside the export as a list of names; every operation re-resolves it from the root, one name
// at a time and never through a symlink (the host's walk, hostapi.go), so no symlink and no ".." is
// ever followed out of the export.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
)

// P9_IOHDRSZ: the header of Rread/Twrite, subtracted from msize to give the largest data count.
const ioHeader = 24

// MaxMsizeHyperkit is HyperKit's buffer for one message (pci_virtio_9p.c BUFSIZE): larger answers crash it.
const MaxMsizeHyperkit = 1 << 18

const noFid = ^uint32(0)

// Server exports one host directory.
type Server struct {
	root     *dirHandle
	rootDev  uint64
	readOnly bool
	maxMsize uint32
	// mu serialises every request of every connection: a name is resolved and used with no
	// request of the guest in between (renames and symlinks made through this server cannot race).
	mu  sync.Mutex
	Log func(format string, a ...interface{})
}

// NewServer opens the exported directory. The export's root itself may be reached through a symlink
// given by the host; nothing below it is.
func NewServer(root string, readOnly bool, maxMsize uint32) (*Server, error) {
	r, err := openRoot(root)
	if err != nil {
		return nil, fmt.Errorf("cannot open the folder to share %q: %w", root, err)
	}
	a, err := r.lstat(".")
	if err != nil {
		r.close()
		return nil, err
	}
	if maxMsize < 4096 {
		maxMsize = 4096
	}
	return &Server{root: r, rootDev: a.dev, readOnly: readOnly, maxMsize: maxMsize, Log: func(string, ...interface{}) {}}, nil
}

// SetOwner sets the owner reported for every file on hosts without Unix owners (Windows); on Linux
// and macOS files keep their own.
func (s *Server) SetOwner(uid, gid uint32) { s.root.setOwner(uid, gid) }

// Close closes the export's root directory.
func (s *Server) Close() error { return s.root.close() }

// Serve accepts connections until the listener is closed; each is served on its own goroutine.
// With once, Serve returns when the first connection ends (HyperKit holds one for the VM's life).
func (s *Server) Serve(l net.Listener, once bool) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		if once {
			s.ServeConn(c)
			return nil
		}
		go s.ServeConn(c)
	}
}

type fid struct {
	path  []string
	file  *hostFile // nil until lopen/lcreate
	dirs  []dirent
	xattr bool // a fid made by xattrwalk: reads as empty
}

type conn struct {
	s     *Server
	msize uint32
	fids  map[uint32]*fid
}

// ServeConn serves one connection until it closes or breaks the protocol; its fids die with it.
func (s *Server) ServeConn(rw io.ReadWriteCloser) {
	c := &conn{s: s, msize: s.maxMsize, fids: map[uint32]*fid{}}
	defer func() {
		s.mu.Lock()
		c.clunkAll()
		s.mu.Unlock()
		rw.Close()
	}()
	for {
		typ, tag, body, err := readMessage(rw, c.msize)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.Log("connection ended: %v", err)
			}
			return
		}
		s.mu.Lock()
		rtyp, reply, err := c.handle(typ, body)
		s.mu.Unlock()
		if err != nil {
			rtyp, reply = rlerror, errnoBody(err)
		}
		if _, err := rw.Write(message(rtyp, tag, reply)); err != nil {
			s.Log("connection ended: %v", err)
			return
		}
	}
}

func errnoBody(err error) []byte {
	var e encoder
	e.u32(toLinuxErrno(err))
	return e.b
}

// toLinuxErrno is the Linux errno a failed request answers with; EIO when the error has none.
func toLinuxErrno(err error) uint32 {
	var en syscall.Errno
	if errors.As(err, &en) {
		return linuxErrno(en)
	}
	if errors.Is(err, errShort) {
		return uint32(syscall.EINVAL)
	}
	return uint32(syscall.EIO)
}

func (c *conn) clunkAll() {
	for k, f := range c.fids {
		f.close()
		delete(c.fids, k)
	}
}

func (f *fid) close() {
	if f.file != nil {
		f.file.close()
		f.file = nil
	}
}

func (c *conn) fid(n uint32) (*fid, error) {
	f, ok := c.fids[n]
	if !ok {
		return nil, syscall.EBADF
	}
	return f, nil
}

// bind makes n a new fid for path; a fid number in use is refused.
func (c *conn) bind(n uint32, path []string) (*fid, error) {
	if _, ok := c.fids[n]; ok || n == noFid {
		return nil, syscall.EBADF
	}
	f := &fid{path: path}
	c.fids[n] = f
	return f, nil
}

// validName refuses what cannot be one name in a directory: empty, ".", "..", a "/" or a NUL.
func validName(n string) error {
	if n == "" || n == "." || n == ".." {
		return syscall.EINVAL
	}
	for i := 0; i < len(n); i++ {
		if n[i] == '/' || n[i] == 0 {
			return syscall.EINVAL
		}
	}
	return nil
}

// openDir opens the directory at path for resolving names in it: the host walks it from the root, one
// name at a time, so a symlink anywhere on the way fails (ELOOP/ENOTDIR) instead of leading out.
func (s *Server) openDir(path []string) (*dirHandle, error) {
	for _, n := range path {
		if err := validName(n); err != nil {
			return nil, err
		}
	}
	return s.root.walk(path)
}

// parent opens the directory holding path's last name and returns that name ("." for the root).
func (s *Server) parent(path []string) (*dirHandle, string, error) {
	if len(path) == 0 {
		fd, err := s.openDir(nil)
		return fd, ".", err
	}
	fd, err := s.openDir(path[:len(path)-1])
	return fd, path[len(path)-1], err
}

// inDir runs do on the directory at path, opened by openDir, and closes it after.
func (s *Server) inDir(path []string, do func(d *dirHandle) error) error {
	d, err := s.openDir(path)
	if err != nil {
		return err
	}
	defer d.close()
	return do(d)
}

// inParent runs do on the directory holding path's last name (opened by parent) and that name.
func (s *Server) inParent(path []string, do func(d *dirHandle, name string) error) error {
	d, name, err := s.parent(path)
	if err != nil {
		return err
	}
	defer d.close()
	return do(d, name)
}

// acrossDirs runs do on the directory holding from's last name, that name, and the directory toDir:
// the two ends of a link or rename, each resolved from the root as openDir does.
func (s *Server) acrossDirs(from, toDir []string, do func(od *dirHandle, oname string, nd *dirHandle) error) error {
	return s.inParent(from, func(od *dirHandle, oname string) error {
		return s.inDir(toDir, func(nd *dirHandle) error { return do(od, oname, nd) })
	})
}

// lstat is the attributes of path itself (a symlink is reported, never followed).
func (s *Server) lstat(path []string) (fileAttr, error) {
	d, name, err := s.parent(path)
	if err != nil {
		return fileAttr{}, err
	}
	defer d.close()
	return d.lstat(name)
}

func (s *Server) qidOf(a fileAttr) qid {
	q := qid{typ: qtFile, path: a.ino}
	if isDir(a) {
		q.typ = qtDir
	} else if isSymlink(a) {
		q.typ = qtSymlink
	}
	if a.dev != s.rootDev { // another file system mounted inside the export: keep qid paths apart
		q.path ^= (a.dev * 0x9E3779B97F4A7C15) &^ 0xFFFFFFFFFF
	}
	q.version = uint32(a.mtime.Sec) ^ uint32(a.mtime.Nsec) ^ uint32(a.size<<8)
	return q
}

func join(path []string, name string) []string {
	p := make([]string, len(path), len(path)+1)
	copy(p, path)
	return append(p, name)
}

// renamed moves every fid at or below from to the same place below to (paths are names, not handles).
func (c *conn) renamed(from, to []string) {
	for _, f := range c.fids {
		if len(f.path) < len(from) {
			continue
		}
		same := true
		for i := range from {
			if f.path[i] != from[i] {
				same = false
				break
			}
		}
		if same {
			f.path = append(append([]string{}, to...), f.path[len(from):]...)
		}
	}
}
