// Package selftest checks the VM's Docker engine end to end without a docker CLI.
// This file owns the `listeners` mode: no TCP socket may listen in the guest (T-01, T-03).
package selftest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Listener is one TCP socket in LISTEN state read from /proc/net/tcp or tcp6.
type Listener struct {
	Address string // local address as the kernel prints it (hex)
	Port    int
}

// ParseListeners reads a /proc/net/tcp-format table and returns the sockets in LISTEN state (0A).
func ParseListeners(r io.Reader) ([]Listener, error) {
	var out []Listener
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header line
			first = false
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		if fields[3] != "0A" {
			continue
		}
		addr, portHex, ok := strings.Cut(fields[1], ":")
		if !ok {
			return nil, fmt.Errorf("malformed local address %q", fields[1])
		}
		port, err := strconv.ParseInt(portHex, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("malformed port in %q: %v", fields[1], err)
		}
		out = append(out, Listener{Address: addr, Port: int(port)})
	}
	return out, sc.Err()
}

// TCPListeners returns every listening TCP socket of the guest (IPv4 and IPv6).
func TCPListeners(procNet string) ([]Listener, error) {
	var all []Listener
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(procNet + "/" + name)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		l, err := ParseListeners(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %v", procNet, name, err)
		}
		all = append(all, l...)
	}
	return all, nil
}
