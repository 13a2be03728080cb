// berth-agent is the helper binary that runs inside Berth's Linux VM.
// This file owns the `selftest` subcommand: mode and flag parsing and the ok/persisted/FAIL lines.
package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"berth/agent/internal/dockerapi"
	"berth/agent/internal/selftest"
)

const selftestSynopsis = "selftest import|verify|write|listeners|supervise [-socket PATH] [-token T] [-busybox PATH] [-dir DIR] [-timeout D]"

func runSelftest(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("selftest", selftestSynopsis, stderr)
	socket := fs.String("socket", dockerapi.DefaultSocket, "dockerd unix socket (import, verify)")
	token := fs.String("token", "", "token the container must echo back; random when empty (import, verify)")
	busybox := fs.String("busybox", "/bin/busybox", "static busybox copied into the test image (import)")
	dir := fs.String("dir", selftest.DefaultWriteDir, "directory filled with rotating 1 MiB files (write)")
	timeout := fs.Duration("timeout", 2*time.Minute, "time limit for import or verify")

	// Accept the mode before or after the flags: `selftest import -token T` or `selftest -token T import`.
	mode := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	rest := fs.Args()
	if mode == "" && len(rest) > 0 {
		mode, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "selftest: unexpected argument %q\n", rest[0])
		fs.Usage()
		return 2
	}

	switch mode {
	case "import", "verify":
		return selftestRun(mode, selftest.Config{Socket: *socket, Token: *token, Busybox: *busybox}, *timeout, stdout, stderr)
	case "write":
		w := &selftest.Writer{Dir: *dir, Out: stdout}
		if _, err := w.Run(context.Background(), 0); err != nil {
			fmt.Fprintf(stderr, "selftest: FAIL writing in %s: %v\n", *dir, err)
			return 1
		}
		return 0
	case "listeners":
		l, err := selftest.TCPListeners("/proc/net")
		if err != nil {
			fmt.Fprintf(stderr, "selftest: FAIL reading TCP sockets: %v\n", err)
			return 1
		}
		if len(l) > 0 {
			ports := make([]string, len(l))
			for i, x := range l {
				ports[i] = fmt.Sprintf("%s:%d", x.Address, x.Port)
			}
			fmt.Fprintf(stderr, "selftest: FAIL tcp listeners in the guest: %s\n", strings.Join(ports, " "))
			return 1
		}
		fmt.Fprintln(stdout, "selftest: no tcp listeners")
		return 0
	case "supervise":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		r, err := selftest.Supervise(ctx, *socket, "/proc")
		if err != nil {
			fmt.Fprintf(stderr, "selftest: FAIL %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "selftest: dockerd restarted by its supervisor in %.1fs (pid %d -> %d)\n", r.Took.Seconds(), r.OldPid, r.NewPid)
		return 0
	case "":
		fmt.Fprintln(stderr, "selftest: missing mode; use import, verify, write, listeners or supervise")
	default:
		fmt.Fprintf(stderr, "selftest: unknown mode %q; use import, verify, write, listeners or supervise\n", mode)
	}
	fs.Usage()
	return 2
}

// selftestRun runs import or verify and prints the single result line.
func selftestRun(mode string, cfg selftest.Config, timeout time.Duration, stdout, stderr io.Writer) int {
	if cfg.Token == "" {
		t, err := selftest.NewToken()
		if err != nil {
			fmt.Fprintf(stderr, "selftest: FAIL %v\n", err)
			return 1
		}
		cfg.Token = t
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	run, okWord := selftest.Import, "ok"
	if mode == "verify" {
		run, okWord = selftest.Verify, "persisted"
	}
	token, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "selftest: FAIL %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "selftest: %s token=%s\n", okWord, token)
	return 0
}
