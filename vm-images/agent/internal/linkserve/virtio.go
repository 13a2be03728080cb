// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns the virtio-serial transport: finding the named port, link-down polling and reconnects.
package linkserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"berth/agent/internal/link"
)

// DefaultPortName is the virtio-serial port name berthd gives QEMU (virtserialport,name=…).
const DefaultPortName = "berth.link"

// Polling intervals: the host side not connected (reads give EOF), and the port missing or failing.
const (
	LinkDownPoll = 200 * time.Millisecond
	PortRetry    = time.Second
)

// Where the virtio_console driver lists its ports and (with devtmpfs) creates their device nodes.
const (
	sysVirtioPorts = "/sys/class/virtio-ports"
	devDir         = "/dev"
)

// FindPort returns the device of the virtio-serial port called name: the port directory under
// sysDir whose "name" file holds name, as a node in devDir (e.g. /dev/vport1p1). There is no
// udev in the VM, hence no /dev/virtio-ports/<name> symlink.
func FindPort(sysDir, devDir, name string) (string, error) {
	entries, err := os.ReadDir(sysDir)
	if err != nil {
		return "", fmt.Errorf("no virtio-serial ports (%v); is the virtio_console module loaded?", err)
	}
	var seen []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(sysDir, e.Name(), "name"))
		if err != nil {
			continue
		}
		got := strings.TrimSpace(string(b))
		if got == name {
			return filepath.Join(devDir, e.Name()), nil
		}
		seen = append(seen, e.Name()+"="+got)
	}
	sort.Strings(seen)
	if len(seen) == 0 {
		seen = []string{"none"}
	}
	return "", fmt.Errorf("no virtio-serial port named %q in %s (ports: %s); start the VM with -device virtserialport,name=%s", name, sysDir, strings.Join(seen, ", "), name)
}

// portFile is the open port device; *os.File in the VM, a fake in tests.
type portFile interface {
	io.ReadWriteCloser
	SetDeadline(time.Time) error
}

// openPortFunc finds and opens the port, returning it and its path for the log.
type openPortFunc func() (portFile, string, error)

// ServePort serves the guest link on the virtio-serial port called name until ctx ends.
func (srv *Server) ServePort(ctx context.Context, name string) error {
	return srv.servePort(ctx, func() (portFile, string, error) {
		path, err := FindPort(sysVirtioPorts, devDir, name)
		if err != nil {
			return nil, "", err
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, path, fmt.Errorf("opening the guest link port: %w", err)
		}
		return f, path, nil
	})
}

// servePort runs sessions on the port one after the other. When the host side is not connected
// a read returns EOF (and a write blocks): the session ends, its streams are dropped, and the
// port is polled every LinkDownPoll until the host's next session (its HELLO) arrives. The first
// session sends HELLO itself so a connected host learns that the agent (re)started.
func (srv *Server) servePort(ctx context.Context, open openPortFunc) error {
	var f portFile
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	passive := false // true once the host went away: it starts the next session
	lastErr := ""
	for ctx.Err() == nil {
		if f == nil {
			var path string
			var err error
			if f, path, err = open(); err != nil {
				if err.Error() != lastErr { // say it once, not every retry
					srv.logf("%v; retrying every %v", err, PortRetry)
					lastErr = err.Error()
				}
				sleep(ctx, PortRetry)
				continue
			}
			lastErr = ""
			srv.logf("guest link on %s", path)
		}
		var first []byte
		if passive {
			var err error
			if first, err = waitForHost(ctx, f); err != nil {
				if ctx.Err() == nil {
					srv.logf("reading the guest link port: %v; reopening it", err)
				}
				f.Close()
				f, passive = nil, false
				continue
			}
		}
		ch := &portChannel{f: f, pending: first}
		sess := link.NewSession(ch, srv.sessionConfig(passive))
		select {
		case <-sess.Done():
		case <-ctx.Done():
			sess.Close()
		}
		err := sess.Wait()
		if !ch.restore() {
			f.Close()
			f = nil
		}
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, io.EOF):
			srv.logf("host side of the guest link is not connected; polling every %v", LinkDownPoll)
			passive = true
		default:
			if f != nil {
				f.Close()
				f = nil
			}
			passive = false
			sleep(ctx, PortRetry)
		}
	}
	return nil
}

// waitForHost polls the port until the host sends something, and returns those bytes.
func waitForHost(ctx context.Context, f portFile) ([]byte, error) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			f.SetDeadline(time.Now()) // unblock a read waiting on a connected but silent host
		case <-stop:
		}
	}()
	buf := make([]byte, 64*1024)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			return buf[:n], nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if !sleep(ctx, LinkDownPoll) {
			return nil, ctx.Err()
		}
	}
}

// portChannel is one session's view of the port: it first replays the bytes waitForHost got,
// turns a zero read into io.EOF, and closes by deadline so the port itself stays open.
type portChannel struct {
	f       portFile
	pending []byte // read by waitForHost, not yet given to the session

	mu       sync.Mutex
	closed   bool
	mustOpen bool // deadlines unsupported: Close really closed f
}

func (c *portChannel) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	n, err := c.f.Read(p)
	if n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

func (c *portChannel) Write(p []byte) (int, error) { return c.f.Write(p) }

// Close unblocks a read waiting for data and a write waiting for the host to connect (the
// kernel blocks writes while the host side is closed) by setting a past deadline.
func (c *portChannel) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if err := c.f.SetDeadline(time.Now()); err != nil {
		c.mustOpen = true
		return c.f.Close()
	}
	return nil
}

// restore clears the deadline for the next session; false means the port must be reopened.
func (c *portChannel) restore() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.mustOpen && c.f.SetDeadline(time.Time{}) == nil
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
