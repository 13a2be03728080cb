// Tests of the bridging logic with unix sockets standing in for the named pipe (berthd's end) and the
// Hyper-V socket (the guest agent's end): bytes both ways, half-close, many connections at once, a
// guest that is not listening yet, and stopping with connections open.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "hvb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// guestEcho stands in for the agent: it answers each connection with "guest:" then echoes what it
// reads, and half-closes after the client's EOF.
func guestEcho(t *testing.T, path string) net.Listener {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("guest:"))
				io.Copy(c, c)
				c.(*net.UnixConn).CloseWrite()
			}()
		}
	}()
	return ln
}

func startBridge(t *testing.T, dir, guest string) (*Bridge, string, context.CancelFunc, chan error) {
	pipe := filepath.Join(dir, "pipe.sock")
	ln, err := listenUnix(pipe)
	if err != nil {
		t.Fatal(err)
	}
	b := &Bridge{Listen: ln, Dial: dialUnix(guest), DialRetry: 2 * time.Second, Log: t.Logf}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b, pipe, cancel, done
}

func TestBridgeCarriesBytesBothWaysWithHalfClose(t *testing.T) {
	dir := tempDir(t)
	guest := filepath.Join(dir, "guest.sock")
	guestEcho(t, guest)
	_, pipe, _, _ := startBridge(t, dir, guest)
	c, err := net.Dial("unix", pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 4<<20)
	rand.Read(payload)
	go func() {
		c.Write(payload)
		c.(*net.UnixConn).CloseWrite() // EOF must reach the guest through the bridge
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte("guest:"), payload...)) {
		t.Fatalf("got %d bytes back, want %d (prefix %q)", len(got), len(payload)+6, got[:min(len(got), 6)])
	}
}

func TestBridgeServesManyConnectionsAtOnce(t *testing.T) {
	dir := tempDir(t)
	guest := filepath.Join(dir, "guest.sock")
	guestEcho(t, guest)
	b, pipe, _, _ := startBridge(t, dir, guest)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("unix", pipe)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer c.Close()
			msg := strings.Repeat(string(rune('a'+i)), 1000+i)
			c.Write([]byte(msg))
			c.(*net.UnixConn).CloseWrite()
			got, _ := io.ReadAll(c)
			if string(got) != "guest:"+msg {
				errs <- "connection " + string(rune('a'+i)) + " got another connection's bytes"
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		active, served := b.Stats()
		if active == 0 && served == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats: %d active, %d served; want 0 and 20", active, served)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The VM boots after berthd connects: the bridge keeps dialling for DialRetry.
func TestBridgeWaitsForAGuestThatIsNotListeningYet(t *testing.T) {
	dir := tempDir(t)
	guest := filepath.Join(dir, "guest.sock")
	_, pipe, _, _ := startBridge(t, dir, guest)
	c, err := net.Dial("unix", pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(300 * time.Millisecond)
	guestEcho(t, guest)
	c.Write([]byte("late"))
	c.(*net.UnixConn).CloseWrite()
	got, _ := io.ReadAll(c)
	if string(got) != "guest:late" {
		t.Fatalf("got %q", got)
	}
}

// A guest that never comes: the client's connection is closed (EOF), not left hanging.
func TestBridgeClosesTheClientWhenTheGuestCannotBeReached(t *testing.T) {
	dir := tempDir(t)
	b, pipe, _, _ := startBridge(t, dir, filepath.Join(dir, "nobody.sock"))
	b.DialRetry = 200 * time.Millisecond
	c, err := net.Dial("unix", pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if n != 0 || err != io.EOF {
		t.Fatalf("read %d, %v; want EOF", n, err)
	}
}

func TestBridgeStopClosesOpenConnections(t *testing.T) {
	dir := tempDir(t)
	guest := filepath.Join(dir, "guest.sock")
	guestEcho(t, guest)
	_, pipe, cancel, done := startBridge(t, dir, guest)
	c, err := net.Dial("unix", pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "guest:" {
		t.Fatalf("no greeting: %q %v", buf, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel with a connection open")
	}
	done <- nil // for the cleanup
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("client end after stop: %v, want EOF", err)
	}
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
