// berth-agent is the helper binary that runs inside Berth's Linux VM.
// This file owns the `serve` subcommand: flags, choosing the transport, and signal handling.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"berth/agent/internal/dockerapi"
	"berth/agent/internal/linkserve"
)

const serveSynopsis = "serve [-port berth.link] [-link-from /proc/cmdline] [-marks /dev/console] [-unix PATH] [-docker /var/run/docker.sock] [-poweroff /sbin/poweroff]"

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", serveSynopsis, stderr)
	port := fs.String("port", linkserve.DefaultPortName, "name of the virtio-serial port carrying the guest link (/sys/class/virtio-ports/*/name)")
	linkFrom := fs.String("link-from", "", "choose the transport from berth.link= in this kernel command line file (/proc/cmdline in the VM): virtio-serial[:name] (the default), vsock[:port], hvsock[:port]; berth.cpu=emulated there runs the agent on one Go processor")
	marks := fs.String("marks", "", "write the vsock link's milestones (transport missing and why, listening) as boot markers here (/dev/console in the VM)")
	unixPath := fs.String("unix", "", "serve the link on this unix socket instead, one connection at a time (tests, other hypervisors' bridges)")
	docker := fs.String("docker", dockerapi.DefaultSocket, "dockerd unix socket dialed for the docker target")
	poweroff := fs.String("poweroff", "/sbin/poweroff", "command run after answering the shutdown RPC, split on spaces, run without a shell")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	argv := strings.Fields(*poweroff)
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "serve: -poweroff is empty; give the command to run, e.g. -poweroff /sbin/poweroff")
		return 2
	}

	srv := &linkserve.Server{
		Version:      agentVersion,
		DockerSocket: *docker,
		PowerOff:     func() error { return runArgv(argv, stderr) },
		Log:          stderr,
	}
	if *marks != "" {
		f, err := os.OpenFile(*marks, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			fmt.Fprintf(stderr, "serve: -marks %s: %v; the link's milestones go to this log only\n", *marks, err)
		} else {
			defer f.Close()
			srv.Marks = f
		}
	}
	var cmdline []byte
	var cmdlineErr error
	if *linkFrom != "" {
		cmdline, cmdlineErr = os.ReadFile(*linkFrom) // reported where the link is chosen below
	}
	if os.Getenv("GOMAXPROCS") == "" && cpuEmulated(string(cmdline)) {
		runtime.GOMAXPROCS(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *unixPath != "":
		err = srv.ServeUnix(ctx, *unixPath)
	case *linkFrom != "":
		if err = cmdlineErr; err == nil {
			var choice linkserve.LinkChoice
			if choice, err = linkserve.ParseLinkChoice(string(cmdline), *port); err == nil {
				err = srv.Serve(ctx, choice)
			}
		}
	default:
		err = srv.ServePort(ctx, *port)
	}
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	return 0
}

// cpuEmulated reports berth.cpu=emulated on the kernel command line: berthd adds it under QEMU's TCG,
// where QEMU runs every vCPU on one host thread. A second Go processor then buys no parallelism, only
// cross-CPU wake-ups (futex calls, IPIs, a spinning thread that takes turns with the working one) on
// every hand-off between the link reader, a stream's relay and the frame writer: with one, a new
// Docker API connection through the link took 14 % less time and 32 at once went 14 % faster (A/B).
func cpuEmulated(cmdline string) bool {
	for _, f := range strings.Fields(cmdline) {
		if f == "berth.cpu=emulated" {
			return true
		}
	}
	return false
}

// runArgv runs a command without a shell, its output going to stderr.
func runArgv(argv []string, stderr io.Writer) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return nil
}
