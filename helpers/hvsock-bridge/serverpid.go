// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns -dial-server-pid: when the far end is a local
// server (berthd's private Docker pipe), each dialled connection must be served by that process, so a
// pipe or socket squatted under the name by another program is never used.
package main

import "fmt"

// serverPidChecked wraps dial: a connection whose server is not process `want` is closed and refused.
// peer says which process serves a connection (peerpid_*.go).
func serverPidChecked(dial func() (Conn, error), want int, peer func(Conn) (int, error)) func() (Conn, error) {
	return func() (Conn, error) {
		c, err := dial()
		if err != nil {
			return nil, err
		}
		got, err := peer(c)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("cannot tell which process serves the dialled endpoint: %w", err)
		}
		if got != want {
			c.Close()
			return nil, fmt.Errorf("the dialled endpoint is served by process %d, not berthd (%d): refusing it", got, want)
		}
		return c, nil
	}
}
