// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec, ninep:<tag>).
// This file owns the Server type, its session settings, target routing and logging.
package linkserve

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"berth/agent/internal/link"
)

// DefaultDialTimeout bounds dialing dockerd or a guest TCP port for one stream.
const DefaultDialTimeout = 10 * time.Second

// Server answers the streams the host opens. The zero value is not usable: set DockerSocket
// and PowerOff at least.
type Server struct {
	Version      string                // agent version: HELLO "agent" and the agent.version RPC
	DockerSocket string                // dialed for the docker target
	PowerOff     func() error          // run after answering the shutdown RPC
	SetClock     func(time.Time) error // nil: settimeofday(2)
	ProcDir      string                // "/proc" when empty (kernel release, uptime, cpuinfo, meminfo)
	SysDir       string                // "/sys" when empty (shares wait for /sys/module/9pnet_fd)
	TrimPath     string                // DefaultTrimPath when empty: trimmed by disk.trim, measured by vm.info
	DialTimeout  time.Duration         // DefaultDialTimeout when 0
	Log          io.Writer             // one line per session event; nil discards
	// Marks, when set, gets the vsock link's milestones as boot markers on the serial console
	// ("berth: guest link … (uptime Ns)", lib.sh's mark format): why the link cannot be served there,
	// then where it is. The host sees them in the console log without berth.debug.
	Marks io.Writer
	// Mount and Unmount, when set, replace mount(2) and umount2(MNT_DETACH) for shares over the link (tests).
	Mount   func(source, target, fstype string, flags uintptr, data string) error
	Unmount func(target string) error

	logMu  sync.Mutex
	shares shareSet
}

// sessionConfig is the guest side of a session; passive when the host is known to send HELLO first.
func (srv *Server) sessionConfig(passive bool) link.Config {
	return link.Config{Role: link.RoleGuest, Agent: srv.Version, Passive: passive, Accept: srv.HandleStream, Logf: srv.logf}
}

// HandleStream serves one stream the host opened, by its target, until both sides are done.
func (srv *Server) HandleStream(st *link.Stream) {
	target := st.Target()
	switch {
	case target == "docker":
		srv.dialAndProxy(st, "unix", srv.DockerSocket)
	case strings.HasPrefix(target, "tcp:"):
		port, err := parsePort(target[len("tcp:"):])
		if err != nil {
			st.Reset(err.Error())
			return
		}
		srv.dialAndProxy(st, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	case target == "rpc":
		srv.serveRPC(st)
	case target == "exec":
		srv.serveExec(st)
	case strings.HasPrefix(target, "ninep:"):
		srv.serveNinep(st, target[len("ninep:"):])
	default:
		st.Reset(fmt.Sprintf("unknown target %q; this agent serves docker, tcp:<port>, rpc, exec and ninep:<tag>", truncate(target, 100)))
	}
}

// parsePort accepts a decimal port 1–65535 and nothing else (no sign, no spaces).
func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("bad tcp target port %q: want a number from 1 to 65535", truncate(s, 100))
	}
	port, _ := strconv.Atoi(s)
	if port < 1 || port > 65535 {
		return 0, fmt.Errorf("bad tcp target port %q: want a number from 1 to 65535", s)
	}
	return port, nil
}

// dialAndProxy connects the stream to a local socket; a dial error becomes the RESET reason.
func (srv *Server) dialAndProxy(st *link.Stream, network, addr string) {
	timeout := srv.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		st.Reset(err.Error())
		return
	}
	proxy(st, c)
}

// markf writes one boot marker to Marks (when set) and the same words to the log.
func (srv *Server) markf(format string, args ...any) {
	srv.logf(format, args...)
	if srv.Marks == nil {
		return
	}
	srv.logMu.Lock()
	defer srv.logMu.Unlock()
	fmt.Fprintf(srv.Marks, "berth: "+format+" (uptime %ss)\n", append(args, uptime(srv.procDir()))...)
}

// uptime is /proc/uptime's first field ("12.34"), or "?" when it cannot be read.
func uptime(procDir string) string {
	b, err := os.ReadFile(procDir + "/uptime")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func (srv *Server) logf(format string, args ...any) {
	if srv.Log == nil {
		return
	}
	srv.logMu.Lock()
	defer srv.logMu.Unlock()
	fmt.Fprintf(srv.Log, "serve: "+format+"\n", args...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
