// berth-agent is the helper binary that runs inside Berth's Linux VM.
// This file owns the entry point, subcommand dispatch and the top-level usage text.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usageText = `usage: berth-agent <command> [flags]

commands:
  wait-docker    wait until dockerd answers on its socket, then print its version
  power-button   run a command (default /sbin/poweroff) when the power button is pressed
  selftest       check the Docker engine without a docker CLI: selftest import|verify|write [flags]
  serve          serve the host's streams (docker, tcp:<port>, rpc) over the guest link (virtio-serial or vsock)

Run 'berth-agent <command> -h' to see the flags of a command.
`

// command is one subcommand: it gets the arguments after its name and returns the exit code.
type command func(args []string, stdout, stderr io.Writer) int

var commands = map[string]command{
	"wait-docker":  runWaitDocker,
	"power-button": runPowerButton,
	"selftest":     runSelftest,
	"serve":        runServe,
}

// agentVersion is reported in the guest link HELLO and by the agent.version RPC.
// Override at build time with -ldflags '-X main.agentVersion=…'.
var agentVersion = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand. Missing or unknown subcommands print the usage and give exit code 2.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "berth-agent: unknown command %q\n\n%s", args[0], usageText)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}

// newFlagSet returns a flag set that reports errors instead of exiting, with a usage line.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: berth-agent %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps the outcome to an exit code: -1 to continue, 0 after -h, 2 on bad flags.
func parseFlags(fs *flag.FlagSet, args []string) int {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		return 2 // the flag package already printed the problem and the usage
	}
}
