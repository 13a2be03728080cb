// Test helpers: a host session wired to a guest session over net.Pipe, and a raw peer that
// speaks frames by hand to check what a session sends and how it treats bad input.
package link

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

const testTimeout = 10 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// logSink collects session log lines for assertions and failure output.
type logSink struct {
	t     *testing.T
	name  string
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, format)
	l.mu.Unlock()
	l.t.Logf(l.name+": "+format, args...)
}

// pair starts a host and a guest session over net.Pipe and waits until both are ready.
// guestAccept handles the streams the host opens (nil: use guest.Accept).
func pair(t *testing.T, guestAccept func(*Stream)) (host, guest *Session) {
	t.Helper()
	hc, gc := net.Pipe()
	host = NewSession(hc, Config{Role: RoleHost, Agent: "test-host", Logf: (&logSink{t: t, name: "host"}).logf})
	guest = NewSession(gc, Config{Role: RoleGuest, Agent: "test-guest", Accept: guestAccept, Logf: (&logSink{t: t, name: "guest"}).logf})
	t.Cleanup(func() {
		host.Close()
		guest.Close()
		host.Wait()
		guest.Wait()
	})
	ctx := testCtx(t)
	if err := host.WaitReady(ctx); err != nil {
		t.Fatalf("host not ready: %v", err)
	}
	if err := guest.WaitReady(ctx); err != nil {
		t.Fatalf("guest not ready: %v", err)
	}
	return host, guest
}

// rawPeer is the other end of a session, driven frame by frame.
type rawPeer struct {
	t      *testing.T
	conn   net.Conn
	frames chan Frame
	errs   chan error
}

func newRawPeer(t *testing.T, conn net.Conn) *rawPeer {
	p := &rawPeer{t: t, conn: conn, frames: make(chan Frame, 1024), errs: make(chan error, 1)}
	go func() {
		d := NewDecoder()
		buf := make([]byte, 64*1024)
		for {
			n, err := conn.Read(buf)
			d.Feed(buf[:n])
			for {
				f, ok, derr := d.Next()
				if derr != nil {
					p.errs <- derr
					return
				}
				if !ok {
					break
				}
				p.frames <- f
			}
			if err != nil {
				close(p.frames)
				return
			}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return p
}

// guestWithRawHost starts a guest session whose host is a rawPeer.
func guestWithRawHost(t *testing.T, cfg Config) (*Session, *rawPeer) {
	t.Helper()
	hc, gc := net.Pipe()
	cfg.Role = RoleGuest
	cfg.Logf = (&logSink{t: t, name: "guest"}).logf
	s := NewSession(gc, cfg)
	t.Cleanup(func() { s.Close(); s.Wait() })
	return s, newRawPeer(t, hc)
}

func (p *rawPeer) sendRaw(b []byte) {
	p.t.Helper()
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("raw peer write: %v", err)
	}
}

func (p *rawPeer) send(f Frame) {
	p.t.Helper()
	b, err := EncodeFrame(f)
	if err != nil {
		p.t.Fatalf("raw peer encode: %v", err)
	}
	p.sendRaw(b)
}

func (p *rawPeer) sendHello(reply bool) {
	p.t.Helper()
	b, _ := NewHello(RoleHost, "raw", reply).Marshal()
	p.send(Frame{Type: FrameHello, Payload: b})
}

// expect returns the next frame and checks its type; PINGs are skipped unless wanted.
func (p *rawPeer) expect(want FrameType) Frame {
	p.t.Helper()
	select {
	case f, ok := <-p.frames:
		if !ok {
			p.t.Fatalf("raw peer: channel ended while waiting for %v", want)
		}
		if f.Type != want {
			p.t.Fatalf("raw peer: got %v on stream %d (%q), want %v", f.Type, f.Stream, f.Payload, want)
		}
		return f
	case err := <-p.errs:
		p.t.Fatalf("raw peer: decoding what the session sent: %v", err)
	case <-time.After(testTimeout):
		p.t.Fatalf("raw peer: no %v within %v", want, testTimeout)
	}
	return Frame{}
}

func (p *rawPeer) expectHello(reply bool) Hello {
	p.t.Helper()
	f := p.expect(FrameHello)
	h, err := ParseHello(f.Payload)
	if err != nil {
		p.t.Fatalf("session sent a bad HELLO: %v", err)
	}
	if h.Reply != reply {
		p.t.Fatalf("HELLO reply=%v, want %v (%s)", h.Reply, reply, f.Payload)
	}
	return h
}

// within fails the test if fn does not return in time; it returns what fn returned.
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(testTimeout):
		t.Fatalf("%s did not finish within %v", what, testTimeout)
		return nil
	}
}

func isReset(err error, reason string) bool {
	var re *ResetError
	return errors.As(err, &re) && re.Reason == reason
}
