// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns unix sockets: the stand-in for both ends on Linux.
package main

import (
	"net"
	"os"
)

type unixListener struct{ ln net.Listener }

func (l unixListener) Accept() (Conn, error) { return l.ln.Accept() }
func (l unixListener) Close() error          { return l.ln.Close() }

func listenUnix(path string) (Listener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	os.Chmod(path, 0o600)
	return unixListener{ln}, nil
}

func dialUnix(path string) func() (Conn, error) {
	return func() (Conn, error) { return net.Dial("unix", path) }
}
