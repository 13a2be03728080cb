// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns the portable part: accept, dial, copy both ways.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one bridged connection end: bytes both ways, and a half-close where the transport has one.
type Conn interface {
	io.ReadWriteCloser
}

// closeWriter is a Conn that can say "no more data" while still reading (unix sockets, hvsock).
type closeWriter interface {
	CloseWrite() error
}

// Listener hands out the connections berthd opens.
type Listener interface {
	Accept() (Conn, error)
	Close() error
}

// Bridge copies each accepted connection to a freshly dialled one until both directions end.
type Bridge struct {
	Listen Listener
	Dial   func() (Conn, error)
	Log    func(format string, args ...any)
	// DialRetry is how long a failing dial is retried for one connection (the VM may still be booting).
	DialRetry time.Duration

	active atomic.Int64
	served atomic.Int64
}

// Stats reports connections open now and bridged so far.
func (b *Bridge) Stats() (active, served int64) { return b.active.Load(), b.served.Load() }

// Serve accepts until ctx ends or the listener fails for good; open connections are closed on return.
func (b *Bridge) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	conns := &connSet{m: map[Conn]struct{}{}}
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		b.Listen.Close()
		conns.closeAll()
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for {
		c, err := b.Listen.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accepting a connection: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.serveOne(ctx, c, conns)
		}()
	}
}

func (b *Bridge) serveOne(ctx context.Context, client Conn, conns *connSet) {
	b.active.Add(1)
	defer b.active.Add(-1)
	conns.add(client)
	defer conns.remove(client)
	defer client.Close()
	guest, err := b.dial(ctx)
	if err != nil {
		b.logf("cannot reach the VM for a new connection: %v; closing it", err)
		return
	}
	conns.add(guest)
	defer conns.remove(guest)
	defer guest.Close()
	b.served.Add(1)
	splice(client, guest)
}

// dial retries a failing dial for DialRetry (the agent may not be listening yet).
func (b *Bridge) dial(ctx context.Context) (Conn, error) {
	deadline := time.Now().Add(b.DialRetry)
	for {
		c, err := b.Dial()
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// splice copies a→b and b→a. When one side ends its sending, the other is half-closed (or, without
// half-close, fully closed once both directions are done), so EOF travels through the bridge.
func splice(a, b Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	pass := func(dst, src Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		if cw, ok := dst.(closeWriter); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go pass(a, b)
	go pass(b, a)
	wg.Wait()
}

func (b *Bridge) logf(format string, args ...any) {
	if b.Log != nil {
		b.Log(format, args...)
	}
}

// connSet is the connections open now, closed all at once when the bridge stops.
type connSet struct {
	mu sync.Mutex
	m  map[Conn]struct{}
}

func (s *connSet) add(c Conn)    { s.mu.Lock(); s.m[c] = struct{}{}; s.mu.Unlock() }
func (s *connSet) remove(c Conn) { s.mu.Lock(); delete(s.m, c); s.mu.Unlock() }
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		c.Close()
	}
}
