// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns choosing the Windows endpoints.
package main

import "fmt"

func openListener(e Endpoint, sddl string) (Listener, error) {
	switch e.Kind {
	case "pipe":
		return listenPipe(e.Path, sddl)
	case "unix":
		return listenUnix(e.Path)
	}
	return nil, fmt.Errorf("cannot listen on a %s endpoint", e.Kind)
}

func dialer(e Endpoint) func() (Conn, error) {
	switch e.Kind {
	case "hvsock":
		return func() (Conn, error) { return dialHyperV(e.VMID, e.Service) }
	case "pipe":
		return dialPipe(e.Path)
	case "unix":
		return dialUnix(e.Path)
	}
	return func() (Conn, error) { return nil, fmt.Errorf("cannot dial a %s endpoint", e.Kind) }
}
