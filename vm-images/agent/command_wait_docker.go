// berth-agent is the helper binary that runs inside Berth's Linux VM.
// This file owns the `wait-docker` subcommand: flags, timeout and its two output lines.
package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"berth/agent/internal/dockerapi"
	"berth/agent/internal/waitdocker"
)

func runWaitDocker(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("wait-docker", "wait-docker [-socket PATH] [-timeout DURATION]", stderr)
	socket := fs.String("socket", dockerapi.DefaultSocket, "dockerd unix socket")
	timeout := fs.Duration("timeout", 120*time.Second, "how long to wait for dockerd to answer")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wait-docker: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	v, err := waitdocker.Wait(ctx, dockerapi.New(*socket), waitdocker.DefaultInterval)
	if err != nil {
		fmt.Fprintf(stderr, "docker not ready after %v: %v\n", *timeout, err)
		return 1
	}
	fmt.Fprintf(stdout, "docker ready version=%s api=%s\n", v.Version, v.APIVersion)
	return 0
}
