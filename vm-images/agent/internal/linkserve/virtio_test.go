// Tests of the virtio-serial transport: finding the named port in a fake sysfs, and the link-down
// behaviour on a simulated port (reads give EOF and writes block while the host is not connected).
package linkserve

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"berth/agent/internal/link"
)

func TestFindPort(t *testing.T) {
	sys := t.TempDir()
	for dir, name := range map[string]string{"vport1p1": "org.qemu.guest_agent.0", "vport2p1": "berth.link\n"} {
		os.MkdirAll(filepath.Join(sys, dir), 0o755)
		os.WriteFile(filepath.Join(sys, dir, "name"), []byte(name), 0o644)
	}
	os.MkdirAll(filepath.Join(sys, "vport3p1"), 0o755) // no name file
	path, err := FindPort(sys, "/dev", "berth.link")
	if err != nil || path != "/dev/vport2p1" {
		t.Fatalf("FindPort = %q, %v", path, err)
	}
	_, err = FindPort(sys, "/dev", "other")
	if err == nil || !strings.Contains(err.Error(), "vport1p1=org.qemu.guest_agent.0") || !strings.Contains(err.Error(), "name=other") {
		t.Fatalf("missing port error: %v", err)
	}
	if _, err := FindPort(filepath.Join(sys, "absent"), "/dev", "berth.link"); err == nil || !strings.Contains(err.Error(), "virtio_console") {
		t.Fatalf("no sysfs dir error: %v", err)
	}
}

// fakePort simulates a virtio-serial port as the guest kernel presents it: while the host side
// is not connected, reads return 0 (EOF) and writes block; a (re)connect starts a fresh host
// connection, and bytes in flight at a disconnect are lost.
type fakePort struct {
	mu        sync.Mutex
	changed   chan struct{}
	connected *fakeHostConn // nil: host side not connected
	toGuest   []byte
	deadline  time.Time
	reads     int // guest reads that returned EOF (polls)
}

func newFakePort() *fakePort { return &fakePort{changed: make(chan struct{})} }

func (p *fakePort) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// wait releases p.mu until something changes or the deadline passes.
func (p *fakePort) wait() error {
	var timeout <-chan time.Time
	if !p.deadline.IsZero() {
		d := time.Until(p.deadline)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	ch := p.changed
	p.mu.Unlock()
	defer p.mu.Lock()
	select {
	case <-ch:
		return nil
	case <-timeout:
		return os.ErrDeadlineExceeded
	}
}

func (p *fakePort) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if !p.deadline.IsZero() && !time.Now().Before(p.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		if len(p.toGuest) > 0 {
			n := copy(b, p.toGuest)
			p.toGuest = p.toGuest[n:]
			return n, nil
		}
		if p.connected == nil {
			p.reads++
			return 0, io.EOF
		}
		if err := p.wait(); err != nil {
			return 0, err
		}
	}
}

func (p *fakePort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if !p.deadline.IsZero() && !time.Now().Before(p.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		if h := p.connected; h != nil {
			h.toHost = append(h.toHost, b...)
			p.broadcast()
			return len(b), nil
		}
		if err := p.wait(); err != nil { // the kernel blocks writes until the host connects
			return 0, err
		}
	}
}

func (p *fakePort) SetDeadline(t time.Time) error {
	p.mu.Lock()
	p.deadline = t
	p.broadcast()
	p.mu.Unlock()
	return nil
}

func (p *fakePort) Close() error { return nil }

// connect is the host (QEMU's chardev client) connecting; it returns the host's end.
func (p *fakePort) connect() *fakeHostConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := &fakeHostConn{p: p}
	p.connected = h
	p.broadcast()
	return h
}

func (p *fakePort) pollCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reads
}

// fakeHostConn is one host connection to the port.
type fakeHostConn struct {
	p      *fakePort
	toHost []byte
	closed bool
}

func (h *fakeHostConn) Read(b []byte) (int, error) {
	p := h.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(h.toHost) == 0 {
		if h.closed {
			return 0, io.EOF
		}
		ch := p.changed
		p.mu.Unlock()
		<-ch
		p.mu.Lock()
	}
	n := copy(b, h.toHost)
	h.toHost = h.toHost[n:]
	return n, nil
}

func (h *fakeHostConn) Write(b []byte) (int, error) {
	p := h.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.closed {
		return 0, errors.New("fake host connection closed")
	}
	p.toGuest = append(p.toGuest, b...)
	p.broadcast()
	return len(b), nil
}

func (h *fakeHostConn) Close() error {
	p := h.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !h.closed {
		h.closed = true
		if p.connected == h {
			p.connected = nil
			p.toGuest = nil // in flight: lost
		}
		p.broadcast()
	}
	return nil
}

func TestPortLinkDownAndReconnect(t *testing.T) {
	port := newFakePort()
	log := &syncBuffer{}
	srv := &Server{Version: "9.9.9", ProcDir: fakeProc(t), Log: log}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- srv.servePort(ctx, func() (portFile, string, error) { return port, "/dev/vport-test", nil })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("servePort: %v", err)
		}
		t.Logf("server log:\n%s", log.String())
	}()

	// the host is not connected at first: the agent polls (reads give EOF) instead of spinning
	deadline := time.Now().Add(testTimeout)
	for port.pollCount() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("agent did not poll the disconnected port")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * LinkDownPoll)
	if n := port.pollCount(); n > 10 {
		t.Fatalf("%d reads in about %v: the agent is not waiting %v between polls", n, 4*LinkDownPoll, LinkDownPoll)
	}

	for round := 1; round <= 2; round++ {
		hc := port.connect()
		host := link.NewSession(hc, link.Config{Role: link.RoleHost, Agent: "host"})
		ctx2, cancel2 := context.WithTimeout(context.Background(), testTimeout)
		if err := host.WaitReady(ctx2); err != nil {
			t.Fatalf("round %d: no HELLO exchange: %v", round, err)
		}
		if p, _ := host.Peer(); p.Agent != "9.9.9" || p.Role != "guest" || !p.Reply {
			t.Fatalf("round %d: agent HELLO %+v; want a reply from the guest", round, p)
		}
		st, err := host.Open(ctx2, "rpc")
		if err != nil {
			t.Fatal(err)
		}
		st.Write([]byte(`{"id":1,"method":"agent.version"}` + "\n"))
		line, err := bufio.NewReader(st).ReadString('\n')
		if err != nil || !strings.Contains(line, `"version":"9.9.9"`) {
			t.Fatalf("round %d: rpc over the port: %q, %v", round, line, err)
		}
		cancel2()
		hc.Close() // host side goes away: the agent drops streams and polls again
		host.Close()
		if _, err := st.Read(make([]byte, 1)); err == nil {
			t.Fatalf("round %d: stream survived the disconnect", round)
		}
		before := port.pollCount()
		deadline := time.Now().Add(testTimeout)
		for port.pollCount() == before {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: agent did not go back to polling", round)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !strings.Contains(log.String(), "not connected; polling every 200ms") {
		t.Errorf("log lacks the link-down line")
	}
}

func TestPortStartsWithHelloWhenHostIsConnected(t *testing.T) {
	port := newFakePort()
	hc := port.connect()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := &Server{Version: "restarted"}
	go func() { done <- srv.servePort(ctx, func() (portFile, string, error) { return port, "/dev/x", nil }) }()
	defer func() { cancel(); <-done }()

	// the host still has its session from before the agent restart: the agent's HELLO tells it
	d := link.NewDecoder()
	buf := make([]byte, 4096)
	for {
		n, err := hc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		d.Feed(buf[:n])
		f, ok, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			h, err := link.ParseHello(f.Payload)
			if f.Type != link.FrameHello || err != nil || h.Reply || h.Agent != "restarted" {
				t.Fatalf("first frame from a restarted agent: %v %+v %v", f.Type, h, err)
			}
			return
		}
	}
}
