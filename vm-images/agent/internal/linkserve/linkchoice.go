// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns choosing the link's transport from the kernel command line each hypervisor driver passes.
package linkserve

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DefaultVsockPort is the vsock port the agent listens on when berth.link names vsock or hvsock
// without a port. Hyper-V's service GUID for it is 00000be7-facb-11e6-bd58-64006a7986d3.
const DefaultVsockPort = 3047

// Transport kinds and vsock flavours a LinkChoice can name.
const (
	KindVirtioSerial = "virtio-serial"
	KindVsock        = "vsock"
	FlavourVirtio    = "virtio" // virtio-vsock: HyperKit's -s virtio-sock (or QEMU's vhost-vsock-pci)
	FlavourHyperV    = "hyperv" // Hyper-V sockets: AF_VSOCK over the hv_sock transport
)

// LinkChoice is the guest link transport the host's driver asked for with berth.link= on the
// kernel command line: QEMU passes none (virtio-serial, the default), HyperKit vsock:<port>,
// Hyper-V hvsock:<port>.
type LinkChoice struct {
	Kind      string // KindVirtioSerial or KindVsock
	Flavour   string // for KindVsock: FlavourVirtio or FlavourHyperV
	PortName  string // for KindVirtioSerial: the virtserialport name
	VsockPort uint32 // for KindVsock
	Source    string // what chose it, for the log
}

func (c LinkChoice) String() string {
	if c.Kind == KindVsock {
		return fmt.Sprintf("%s vsock port %d (%s)", c.Flavour, c.VsockPort, c.Source)
	}
	return fmt.Sprintf("virtio-serial port %q (%s)", c.PortName, c.Source)
}

var portNameRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseLinkChoice reads berth.link= from a kernel command line (the last one wins, as the kernel's
// own parameters do). Values: virtio-serial[:<name>], vsock[:<port>], hvsock[:<port>]. Without
// berth.link= the link is the virtio-serial port defaultPort. A malformed value is an error: a
// silent fallback would leave the host waiting on a transport the agent is not listening on.
func ParseLinkChoice(cmdline, defaultPort string) (LinkChoice, error) {
	value, found := "", false
	for _, w := range strings.Fields(cmdline) {
		if strings.HasPrefix(w, "berth.link=") {
			value, found = strings.TrimPrefix(w, "berth.link="), true
		}
	}
	if !found {
		return LinkChoice{Kind: KindVirtioSerial, PortName: defaultPort, Source: "default: no berth.link= on the kernel command line"}, nil
	}
	source := "berth.link=" + value + " on the kernel command line"
	kind, arg, hasArg := strings.Cut(value, ":")
	switch kind {
	case "virtio-serial":
		name := defaultPort
		if hasArg {
			if !portNameRe.MatchString(arg) {
				return LinkChoice{}, fmt.Errorf("berth.link=%s: the virtio-serial port name must be 1–64 letters, digits, '.', '_' or '-'", truncate(value, 100))
			}
			name = arg
		}
		return LinkChoice{Kind: KindVirtioSerial, PortName: name, Source: source}, nil
	case "vsock", "hvsock":
		port := uint32(DefaultVsockPort)
		if hasArg {
			n, err := strconv.ParseUint(arg, 10, 32)
			// 0xFFFFFFFF is VMADDR_PORT_ANY; ports below 1024 are privileged in some transports but allowed.
			if err != nil || n == 0 || n == 0xFFFFFFFF || strings.Trim(arg, "0123456789") != "" {
				return LinkChoice{}, fmt.Errorf("berth.link=%s: the vsock port must be a number from 1 to 4294967294", truncate(value, 100))
			}
			port = uint32(n)
		}
		flavour := FlavourVirtio
		if kind == "hvsock" {
			flavour = FlavourHyperV
		}
		return LinkChoice{Kind: KindVsock, Flavour: flavour, VsockPort: port, Source: source}, nil
	default:
		return LinkChoice{}, fmt.Errorf("berth.link=%s: unknown transport %q; use virtio-serial[:name], vsock[:port] or hvsock[:port]", truncate(value, 100), truncate(kind, 40))
	}
}

// Serve serves the guest link on the transport the choice names until ctx ends.
func (srv *Server) Serve(ctx context.Context, c LinkChoice) error {
	srv.logf("guest link transport: %s", c)
	if c.Kind == KindVsock {
		return srv.ServeVsock(ctx, c.VsockPort, c.Flavour)
	}
	return srv.ServePort(ctx, c.PortName)
}
