// Test helpers: a fake dockerd (HTTP-ish echo on a unix socket), a TCP echo listener, a fake /proc,
// and a Server served on a unix socket with a host session connected to it.
package linkserve

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"berth/agent/internal/link"
)

const testTimeout = 10 * time.Second

// syncBuffer is a log sink shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shortTempDir is a temp dir with a short path: unix socket paths are limited to ~108 bytes.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "berth-ls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serveEcho accepts on ln; each connection gets prefix then its own bytes back once its writer
// half-closes, then the connection is closed. closed receives one value per finished connection.
func serveEcho(t *testing.T, ln net.Listener, prefix string) (closed chan struct{}) {
	closed = make(chan struct{}, 16)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { c.Close(); closed <- struct{}{} }()
				data, err := io.ReadAll(c) // needs the client's half-close
				if err != nil {
					return
				}
				c.Write(append([]byte(prefix), data...))
			}()
		}
	}()
	return closed
}

// fakeDocker listens on a unix socket and answers like an HTTP server that echoes the request.
func fakeDocker(t *testing.T, dir string) (path string, closed chan struct{}) {
	path = filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return path, serveEcho(t, ln, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
}

// tcpEcho listens on 127.0.0.1 and echoes; it returns the port.
func tcpEcho(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveEcho(t, ln, "")
	return ln.Addr().(*net.TCPAddr).Port
}

// fakeProc writes sys/kernel/osrelease and uptime under a temp dir.
func fakeProc(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sys/kernel"), 0o755)
	os.WriteFile(filepath.Join(dir, "sys/kernel/osrelease"), []byte("6.1.0-test-amd64\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "uptime"), []byte("1234.56 4321.00\n"), 0o644)
	return dir
}

type served struct {
	srv      *Server
	sockPath string
	log      *syncBuffer
	dir      string
}

// startServer runs srv.ServeUnix in the background until the test ends.
func startServer(t *testing.T, srv *Server) *served {
	t.Helper()
	dir := shortTempDir(t)
	log := &syncBuffer{}
	srv.Log = log
	sock := filepath.Join(dir, "link.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeUnix(ctx, sock) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeUnix: %v", err)
		}
		t.Logf("server log:\n%s", log.String())
	})
	deadline := time.Now().Add(testTimeout)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not listen on %s", sock)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &served{srv: srv, sockPath: sock, log: log, dir: dir}
}

// connectHost dials the server's socket and returns a ready host session.
func (s *served) connectHost(t *testing.T) *link.Session {
	t.Helper()
	// The socket file appears at bind(), a moment before listen(): a dial in between is refused.
	deadline := time.Now().Add(testTimeout)
	c, err := net.Dial("unix", s.sockPath)
	for err != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		c, err = net.Dial("unix", s.sockPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	host := link.NewSession(c, link.Config{Role: link.RoleHost, Agent: "test-host"})
	t.Cleanup(func() { host.Close(); host.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := host.WaitReady(ctx); err != nil {
		t.Fatalf("no HELLO exchange with the agent: %v", err)
	}
	return host
}

func open(t *testing.T, host *link.Session, target string) *link.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	st, err := host.Open(ctx, target)
	if err != nil {
		t.Fatalf("open %s: %v", target, err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetDeadline(time.Now().Add(testTimeout))
	return st
}

// freePort returns a 127.0.0.1 port nothing listens on (it was free a moment ago).
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
