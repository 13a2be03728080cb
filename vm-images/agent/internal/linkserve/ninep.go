// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec, ninep).
// This file owns shares over the link: a `ninep:<tag>` stream waits for the `share.mount` RPC naming its tag, which
// relays it through a socketpair to v9fs (`mount -t 9p -o trans=fd`) at the share's path; the stream's end unmounts.
package linkserve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"berth/agent/internal/link"
)

// NinepMsize is the largest 9P message the guest asks for: berth-ninep-server's cap (262144).
const NinepMsize = 262144

const (
	ninepClaimTimeout = 30 * time.Second // a ninep stream without share.mount is reset after this
	ninepStreamWait   = 10 * time.Second // share.mount waits this long for its stream to arrive
	ninepEndWait      = 5 * time.Second  // share.mount waits this long for the previous share at its path to end
	ninepModuleWait   = 30 * time.Second // and this long for the kernel's fd transport (a module loaded late in the boot)
)

// shareSet holds the ninep streams waiting for share.mount, and the shares mounted, by guest path.
type shareSet struct {
	mu      sync.Mutex
	waiting map[string]*linkShare
	mounted map[string]*linkShare
	mountMu sync.Mutex // one share.mount at a time
}

// linkShare is one ninep stream: waiting, then relayed (conn) and mounted at path until it ends.
type linkShare struct {
	st      *link.Stream
	claim   chan net.Conn
	path    string        // where share.mount mounts it
	mounted chan bool     // share.mount's outcome, sent once the relay end was claimed
	done    chan struct{} // closed once the relay ended and the share was unmounted
}

// validShareTag: the tag of `ninep:<tag>`, 1–64 of A–Z a–z 0–9 . _ -
func validShareTag(tag string) bool {
	if tag == "" || len(tag) > 64 {
		return false
	}
	return strings.Trim(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == ""
}

// serveNinep parks the stream until share.mount claims it, then relays it to v9fs's end of the
// socketpair until either side ends, then unmounts the share (if it is still the one at its path).
func (srv *Server) serveNinep(st *link.Stream, tag string) {
	if !validShareTag(tag) {
		st.Reset(fmt.Sprintf("bad ninep tag %q: want 1–64 letters, digits, dots, underscores or dashes", truncate(tag, 100)))
		return
	}
	sh := &linkShare{st: st, claim: make(chan net.Conn, 1), mounted: make(chan bool, 1), done: make(chan struct{})}
	defer close(sh.done)
	s := &srv.shares
	s.mu.Lock()
	if s.waiting == nil {
		s.waiting, s.mounted = map[string]*linkShare{}, map[string]*linkShare{}
	}
	if _, dup := s.waiting[tag]; dup {
		s.mu.Unlock()
		st.Reset(fmt.Sprintf("a ninep:%s stream already waits for share.mount; use a new tag", tag))
		return
	}
	s.waiting[tag] = sh
	s.mu.Unlock()

	timer := time.NewTimer(ninepClaimTimeout)
	defer timer.Stop()
	var conn net.Conn
	select {
	case conn = <-sh.claim: // nil: share.mount gave up and reset the stream
		if conn == nil {
			return
		}
	case <-st.Done():
	case <-timer.C:
	}
	if conn == nil {
		s.mu.Lock()
		claimed := s.waiting[tag] != sh
		if !claimed {
			delete(s.waiting, tag)
		}
		s.mu.Unlock()
		if !claimed {
			st.Reset(fmt.Sprintf("no share.mount for ninep:%s within %v", tag, ninepClaimTimeout))
			return
		}
		// share.mount took it: it sends the relay end, or nil when it gave up (and reset the stream).
		if conn = <-sh.claim; conn == nil {
			return
		}
	}
	proxy(st, conn)

	mounted := <-sh.mounted // share.mount's outcome, which may come after the relay ended
	s.mu.Lock()
	ours := mounted && s.mounted[sh.path] == sh
	if ours {
		delete(s.mounted, sh.path)
	}
	s.mu.Unlock()
	if ours {
		if err := srv.unmount(sh.path); err != nil {
			srv.logf("share at %s: unmounting after its stream ended: %v", sh.path, err)
		} else {
			srv.logf("share at %s unmounted: its stream ended", sh.path)
		}
	}
}

type shareMountParams struct {
	Tag      string `json:"tag"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"readOnly"`
}

// shareMount is the share.mount RPC: mount the waiting ninep:<tag> stream at path (mkdir -p first),
// read-only or not. A share already at path (this agent's, or a stale one of an agent that died) is
// ended first. The answer comes once the kernel attached, so a failure names its reason.
func (srv *Server) shareMount(params json.RawMessage) (any, error) {
	var p shareMountParams
	d := json.NewDecoder(bytes.NewReader(params))
	if len(params) == 0 || d.Decode(&p) != nil || p.Tag == "" || p.Path == "" {
		return nil, failure("bad-params", `share.mount needs params {"tag": "<tag of an open ninep stream>", "path": "/absolute/path", "readOnly": false}`)
	}
	if !validShareTag(p.Tag) {
		return nil, failure("bad-params", "bad tag %q: want 1–64 letters, digits, dots, underscores or dashes", truncate(p.Tag, 100))
	}
	if !path.IsAbs(p.Path) || path.Clean(p.Path) != p.Path || p.Path == "/" || strings.ContainsRune(p.Path, 0) {
		return nil, failure("bad-params", "share path %q must be a clean absolute path other than /", truncate(p.Path, 200))
	}
	s := &srv.shares
	s.mountMu.Lock()
	defer s.mountMu.Unlock()

	sh := srv.claimShare(p.Tag)
	if sh == nil {
		return nil, failure("failed", "no ninep:%s stream is open; open the stream, then call share.mount", p.Tag)
	}
	giveUp := func(why string) {
		sh.st.Reset(why)
		sh.claim <- nil
	}
	if err := srv.endShareAt(p.Path); err != nil {
		giveUp(err.Error())
		return nil, err
	}
	if err := os.MkdirAll(p.Path, 0o755); err != nil {
		giveUp(err.Error())
		return nil, fmt.Errorf("creating the mount point: %v", err)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		giveUp(err.Error())
		return nil, fmt.Errorf("socketpair for the share at %s: %v", p.Path, err)
	}
	relayFile := os.NewFile(uintptr(fds[0]), "ninep-relay")
	conn, err := net.FileConn(relayFile)
	relayFile.Close()
	if err != nil {
		syscall.Close(fds[1])
		giveUp(err.Error())
		return nil, fmt.Errorf("relay for the share at %s: %v", p.Path, err)
	}
	// Registered before mount(2): the relay may end (the host's server gone) before mount returns.
	s.mu.Lock()
	sh.path = p.Path
	s.mounted[p.Path] = sh
	s.mu.Unlock()
	sh.claim <- conn // the relay runs from here on: the kernel's Tversion must reach the host

	var flags uintptr
	mode := "rw"
	if p.ReadOnly {
		flags, mode = syscall.MS_RDONLY, "ro"
	}
	// cache=mmap and access=client as the virtio shares (vm-images/rootfs/etc/berth/steps/config).
	data := fmt.Sprintf("trans=fd,rfdno=%d,wfdno=%d,version=9p2000.L,msize=%d,cache=mmap,access=client", fds[1], fds[1], NinepMsize)
	srv.waitFdTransport()
	err = srv.mount("berth-"+p.Tag, p.Path, "9p", flags, data)
	syscall.Close(fds[1]) // the mount holds its own reference
	sh.mounted <- err == nil
	if err != nil {
		why := fmt.Sprintf("mount -t 9p -o trans=fd,%s at %s: %v", mode, p.Path, err)
		s.mu.Lock()
		if s.mounted[p.Path] == sh {
			delete(s.mounted, p.Path)
		}
		s.mu.Unlock()
		sh.st.Reset(why)
		conn.Close()
		srv.logf("share %s: %s", p.Tag, why)
		return nil, failure("failed", "%s", why)
	}
	srv.logf("share %s mounted at %s (%s) over the guest link", p.Tag, p.Path, mode)
	return map[string]any{"path": p.Path, "readOnly": p.ReadOnly}, nil
}

// claimShare takes the waiting ninep:<tag> stream, waiting for it to arrive (its OPEN and the RPC race).
func (srv *Server) claimShare(tag string) *linkShare {
	s := &srv.shares
	deadline := time.Now().Add(ninepStreamWait)
	for {
		s.mu.Lock()
		sh := s.waiting[tag]
		delete(s.waiting, tag)
		s.mu.Unlock()
		if sh != nil || time.Now().After(deadline) {
			return sh
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// endShareAt ends this agent's share at path and detaches stale 9p mounts there (an agent killed
// before it could unmount leaves a dead one: its relay end is gone, so every access fails).
func (srv *Server) endShareAt(p string) error {
	s := &srv.shares
	s.mu.Lock()
	prev := s.mounted[p]
	s.mu.Unlock()
	if prev != nil {
		prev.st.Reset("another share is being mounted at " + p)
		select {
		case <-prev.done:
		case <-time.After(ninepEndWait):
			return fmt.Errorf("the share mounted at %s before did not end within %v", p, ninepEndWait)
		}
	}
	for i := 0; i < 8; i++ {
		fstype, err := topMountAt(srv.procDir()+"/self/mountinfo", p)
		if err != nil {
			return fmt.Errorf("reading the mounts: %v", err)
		}
		if fstype == "" {
			return nil
		}
		if fstype != "9p" {
			return fmt.Errorf("%s is already a %s mount point in the VM; it cannot hold a share", p, fstype)
		}
		if err := srv.unmount(p); err != nil {
			return fmt.Errorf("detaching the stale 9p mount at %s: %v", p, err)
		}
		srv.logf("detached a stale 9p mount at %s", p)
	}
	return fmt.Errorf("%s still has 9p mounts after detaching 8", p)
}

// waitFdTransport waits for 9P's fd transport: the image loads 9pnet_fd with the optional modules, in
// the background of the boot, possibly after the agent started (v9fs answers EINVAL without it).
func (srv *Server) waitFdTransport() {
	sys := srv.SysDir
	if sys == "" {
		sys = "/sys"
	}
	deadline := time.Now().Add(ninepModuleWait)
	for {
		if _, err := os.Stat(sys + "/module/9pnet_fd"); err == nil || time.Now().After(deadline) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (srv *Server) mount(source, target, fstype string, flags uintptr, data string) error {
	if srv.Mount != nil {
		return srv.Mount(source, target, fstype, flags, data)
	}
	return syscall.Mount(source, target, fstype, flags, data)
}

func (srv *Server) unmount(target string) error {
	if srv.Unmount != nil {
		return srv.Unmount(target)
	}
	return syscall.Unmount(target, syscall.MNT_DETACH)
}

// topMountAt is the filesystem type of the last (topmost) mount at path in a mountinfo file, "" when none.
func topMountAt(mountinfo, p string) (string, error) {
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		return "", err
	}
	fstype := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || unescapeMountinfo(f[4]) != p {
			continue
		}
		for i := 6; i+1 < len(f); i++ {
			if f[i] == "-" {
				fstype = f[i+1]
				break
			}
		}
	}
	return fstype, nil
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
