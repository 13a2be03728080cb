// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns serving a listener's connections (unix socket, vsock) one at a time as the guest link.
package linkserve

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"berth/agent/internal/link"
)

// linkListener is a unix or vsock listener whose connections carry the guest link.
type linkListener interface {
	Accept() (io.ReadWriteCloser, error)
	Close() error
}

// netLinkListener adapts a net.Listener.
type netLinkListener struct{ net.Listener }

func (l netLinkListener) Accept() (io.ReadWriteCloser, error) { return l.Listener.Accept() }

// serveListener serves one connection at a time as the guest link: a new connection ends the
// current session and starts a new one (the host reconnected). It returns when ctx ends.
func (srv *Server) serveListener(ctx context.Context, ln linkListener, where string) error {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		ln.Close()
	}()

	var cur *link.Session
	defer func() {
		if cur != nil {
			cur.Close()
			cur.Wait()
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			srv.logf("accepting on %s: %v", where, err)
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		if cur != nil {
			select {
			case <-cur.Done():
			default:
				srv.logf("a new connection on %s replaces the current session", where)
			}
			cur.Close()
			cur.Wait()
		}
		cur = link.NewSession(c, srv.sessionConfig(false))
	}
}
