// Tests of -dial-server-pid: a dialled endpoint served by another process is refused, with unix sockets
// standing in for berthd's private pipe (SO_PEERCRED on Linux, GetNamedPipeServerProcessId on Windows).
package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type fakeConn struct{ closed bool }

func (c *fakeConn) Read([]byte) (int, error)    { return 0, io.EOF }
func (c *fakeConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *fakeConn) Close() error                { c.closed = true; return nil }

func TestServerPidCheckedRefusesAnotherServer(t *testing.T) {
	c := &fakeConn{}
	dial := func() (Conn, error) { return c, nil }
	if _, err := serverPidChecked(dial, 42, func(Conn) (int, error) { return 42, nil })(); err != nil {
		t.Fatalf("the right server was refused: %v", err)
	}
	_, err := serverPidChecked(dial, 42, func(Conn) (int, error) { return 7, nil })()
	if err == nil || !strings.Contains(err.Error(), "served by process 7, not berthd (42)") || !c.closed {
		t.Fatalf("another server: err %v, closed %v", err, c.closed)
	}
	c.closed = false
	_, err = serverPidChecked(dial, 42, func(Conn) (int, error) { return 0, errors.New("no way to ask") })()
	if err == nil || !strings.Contains(err.Error(), "cannot tell which process") || !c.closed {
		t.Fatalf("unknown server: err %v, closed %v", err, c.closed)
	}
}

func TestPeerPidOfAUnixSocketIsItsServer(t *testing.T) {
	path := filepath.Join(tempDir(t), "srv.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	c, err := dialUnix(path)()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pid, err := peerPid(c)
	if err != nil || pid != os.Getpid() {
		t.Fatalf("peerPid = %d, %v; want %d", pid, err, os.Getpid())
	}
}

// The bridge with -dial-server-pid of this process carries bytes; with another pid, no connection is bridged.
func TestRunWithDialServerPid(t *testing.T) {
	dir := tempDir(t)
	server := filepath.Join(dir, "berthd.sock")
	guestEcho(t, server)
	for _, tc := range []struct {
		pid    int
		bridge bool
	}{{os.Getpid(), true}, {1, false}} {
		listen := filepath.Join(dir, "public.sock")
		os.Remove(listen)
		var stderr bytes.Buffer
		ln, err := listenUnix(listen)
		if err != nil {
			t.Fatal(err)
		}
		b := &Bridge{Listen: ln, Dial: serverPidChecked(dialUnix(server), tc.pid, peerPid), DialRetry: 300 * time.Millisecond, Log: func(f string, a ...any) { stderr.WriteString(f) }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- b.Serve(ctx) }()
		c, err := net.Dial("unix", listen)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("ping"))
		c.(*net.UnixConn).CloseWrite()
		got, _ := io.ReadAll(c)
		c.Close()
		cancel()
		<-done
		if tc.bridge && string(got) != "guest:ping" {
			t.Errorf("pid %d: got %q", tc.pid, got)
		}
		if !tc.bridge && len(got) != 0 {
			t.Errorf("pid %d (not the server): bridged %q", tc.pid, got)
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"-listen", "unix:/x", "-dial", "hvsock:9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c:3047", "-dial-server-pid", "5"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "for a local server") {
		t.Errorf("hvsock with a server pid: exit %d, %q", code, stderr.String())
	}
}
