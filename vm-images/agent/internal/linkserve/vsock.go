// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns the vsock transport (HyperKit's virtio-vsock, Hyper-V sockets): waiting for the
// kernel's transport, saying plainly when it is missing, then serving connections on the port.
package linkserve

import (
	"context"
	"fmt"
	"os"
	"time"
)

// VsockRetry is how often a missing vsock transport is looked for again.
var VsockRetry = 2 * time.Second

// cidAny is VMADDR_CID_ANY: the local CID while no guest-to-host transport device is bound.
const cidAny = 0xFFFFFFFF

// vsockProbe reads what the kernel offers; the real one is in vsock_linux.go, tests give fakes.
type vsockProbe struct {
	localCID     func() (uint32, error) // IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock
	moduleLoaded func(name string) bool // /sys/module/<name> exists
	listen       func(port uint32) (linkListener, error)
}

// vsockMissing says why the flavour's transport is not usable in this VM, or "" when it is.
// virtio-vsock gives the guest a CID once its device is bound; Hyper-V's hv_sock always reports
// VMADDR_CID_ANY as the local CID, so for it the loaded module (which needs a VMBus) is the sign.
func vsockMissing(flavour string, p vsockProbe) string {
	if flavour == FlavourHyperV {
		if !p.moduleLoaded("hv_sock") {
			if !p.moduleLoaded("hv_vmbus") {
				return "the hv_sock transport is not loaded because this VM has no VMBus: it is not running under Hyper-V (the hv_vmbus module could not load)"
			}
			return "the hv_sock module is not loaded (hv_vmbus is): see the modules step in /var/log/boot.log"
		}
		return ""
	}
	cid, err := p.localCID()
	if err != nil {
		return fmt.Sprintf("/dev/vsock cannot be asked for this VM's CID (%v): the vsock and vmw_vsock_virtio_transport modules are not loaded", err)
	}
	if cid == cidAny {
		return "there is no virtio-vsock device in this VM (the kernel has no CID for it): HyperKit adds one with -s virtio-sock, QEMU with -device vhost-vsock-pci"
	}
	return ""
}

// ServeVsock serves the guest link on vsock port `port` until ctx ends. While the transport is
// missing it says so once, with the reason, and looks again every VsockRetry: the host side then
// sees no agent, and the console (a boot marker, with Marks) and /var/log/agent.log say why.
func (srv *Server) ServeVsock(ctx context.Context, port uint32, flavour string) error {
	return srv.serveVsock(ctx, port, flavour, realVsockProbe())
}

func (srv *Server) serveVsock(ctx context.Context, port uint32, flavour string, p vsockProbe) error {
	said := ""
	for ctx.Err() == nil {
		if why := vsockMissing(flavour, p); why != "" {
			if why != said {
				srv.markf("guest link: no %s vsock transport: %s; looking again every %v", flavour, why, VsockRetry)
				said = why
			}
			sleep(ctx, VsockRetry)
			continue
		}
		ln, err := p.listen(port)
		if err != nil {
			msg := fmt.Sprintf("listening on vsock port %d: %v", port, err)
			if msg != said {
				srv.logf("guest link: %s; retrying every %v", msg, VsockRetry)
				said = msg
			}
			sleep(ctx, VsockRetry)
			continue
		}
		srv.markf("guest link on %s vsock port %d", flavour, port)
		return srv.serveListener(ctx, ln, fmt.Sprintf("vsock port %d", port))
	}
	return nil
}

// moduleLoaded reports whether /sys/module/<name> exists (a loaded module, or a built-in one with parameters).
func moduleLoaded(sysModule string) func(string) bool {
	return func(name string) bool {
		_, err := os.Stat(sysModule + "/" + name)
		return err == nil
	}
}
