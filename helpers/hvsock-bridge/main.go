// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM: Node cannot open AF_HYPERV sockets, so berthd opens the pipe.
// This file owns the command line.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

const usage = `usage: hvsock-bridge -listen <endpoint> -dial <endpoint> [-sddl <SDDL>] [-dial-server-pid <pid>] [-exit-on-stdin-eof]

  -listen pipe:\\.\pipe\berth_link     what clients open: berthd (the guest link) or docker (berth_docker);
                                        unix:<path> on Linux, for tests
  -dial   hvsock:<vm-id>:<port|guid>    the VM's Hyper-V socket service (the guest link), or
          pipe:\\.\pipe\<name>           berthd's private pipe (the Docker endpoint; needs -dial-server-pid);
                                        unix:<path> for tests
  -sddl   the listening pipe's security descriptor (default: this user, SYSTEM and Administrators only)
  -dial-server-pid  the process that must serve the dialled endpoint (berthd): any other is refused
  -exit-on-stdin-eof  stop when standard input ends: berthd holds its other end, so the bridge ends
                      with berthd, also when berthd is killed (a new berthd starts its own bridges)
`

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("hvsock-bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	listen := fs.String("listen", "", "")
	dial := fs.String("dial", "", "")
	sddl := fs.String("sddl", "", "")
	retry := fs.Duration("dial-retry", 30*time.Second, "")
	serverPid := fs.Int("dial-server-pid", 0, "")
	stdinEOF := fs.Bool("exit-on-stdin-eof", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *listen == "" || *dial == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	lep, err := ParseEndpoint(*listen)
	if err == nil && lep.Kind == "hvsock" {
		err = fmt.Errorf("-listen cannot be a Hyper-V socket: berthd opens the listening end")
	}
	if err != nil {
		fmt.Fprintf(stderr, "hvsock-bridge: -listen %v\n", err)
		return 2
	}
	dep, err := ParseEndpoint(*dial)
	if err == nil && dep.Kind == "pipe" && *serverPid <= 0 {
		err = fmt.Errorf("a dialled pipe needs -dial-server-pid: the bridge checks that berthd serves it")
	}
	if err == nil && dep.Kind == "hvsock" && *serverPid > 0 {
		err = fmt.Errorf("-dial-server-pid is for a local server; a Hyper-V socket is the VM")
	}
	if err != nil {
		fmt.Fprintf(stderr, "hvsock-bridge: -dial %v\n", err)
		return 2
	}
	ln, err := openListener(lep, *sddl)
	if err != nil {
		fmt.Fprintf(stderr, "hvsock-bridge: cannot listen on %s: %v\n", *listen, err)
		return 1
	}
	dialGuest := dialer(dep)
	if *serverPid > 0 {
		dialGuest = serverPidChecked(dialGuest, *serverPid, peerPid)
	}
	b := &Bridge{Listen: ln, Dial: dialGuest, DialRetry: *retry, Log: func(f string, a ...any) { fmt.Fprintf(stderr, "hvsock-bridge: "+f+"\n", a...) }}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *stdinEOF {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			io.Copy(io.Discard, os.Stdin)
			fmt.Fprintf(stderr, "hvsock-bridge: standard input ended (berthd is gone); stopping\n")
			cancel()
		}()
	}
	fmt.Fprintf(stderr, "hvsock-bridge: %s -> %s\n", *listen, *dial)
	if err := b.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "hvsock-bridge: %v\n", err)
		return 1
	}
	return 0
}
