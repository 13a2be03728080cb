// berth-agent is the helper binary that runs inside Berth's Linux VM.
// This file owns the `power-button` subcommand: flags and starting the device watcher.
package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"berth/agent/internal/powerbutton"
)

func runPowerButton(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("power-button", "power-button [-dir /dev/input] [-exec COMMAND]", stderr)
	dir := fs.String("dir", "/dev/input", "directory holding the event* input devices")
	execCmd := fs.String("exec", "/sbin/poweroff", "command run on a power-button press, split on spaces, run without a shell")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "power-button: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	argv := strings.Fields(*execCmd)
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "power-button: -exec is empty; give the command to run, e.g. -exec /sbin/poweroff")
		return 2
	}

	w := &powerbutton.Watcher{Dir: *dir, Command: argv, Stdout: stdout, Stderr: stderr}
	if err := w.Watch(context.Background()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
