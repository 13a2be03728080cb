//go:build !linux && !windows

// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns the platforms that cannot tell a server's pid here.
package main

import "fmt"

func peerPid(c Conn) (int, error) {
	return 0, fmt.Errorf("this platform cannot tell the server process of %T", c)
}
