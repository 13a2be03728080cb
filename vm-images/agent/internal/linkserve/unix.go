// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns the unix-socket transport: one connection at a time is the channel, a new one a new session.
package linkserve

import (
	"context"
	"fmt"
	"net"
	"os"
)

// ServeUnix listens on a unix socket at path (a stale socket there is replaced) and serves one
// connection at a time as the guest link: a new connection ends the current session and starts
// a new one. It returns when ctx ends, or if it cannot listen.
func (srv *Server) ServeUnix(ctx context.Context, path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listening for the guest link: %w", err)
	}
	srv.logf("guest link on unix socket %s", path)
	return srv.serveListener(ctx, netLinkListener{ln}, path)
}
