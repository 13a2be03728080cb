//go:build !windows

// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns the endpoints outside Windows: unix sockets only.
package main

import "fmt"

func openListener(e Endpoint, _ string) (Listener, error) {
	if e.Kind != "unix" {
		return nil, fmt.Errorf("%s endpoints exist only on Windows", e.Kind)
	}
	return listenUnix(e.Path)
}

func dialer(e Endpoint) func() (Conn, error) {
	if e.Kind != "unix" {
		return func() (Conn, error) { return nil, fmt.Errorf("%s endpoints exist only on Windows", e.Kind) }
	}
	return dialUnix(e.Path)
}
