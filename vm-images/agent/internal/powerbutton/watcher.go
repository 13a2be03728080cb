// Package powerbutton turns a press of the VM's ACPI power button into a clean shutdown.
// This file owns the I/O loop: scanning for event devices, reading them, and running the command.
package powerbutton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// DefaultScanInterval is how often the device directory is rescanned.
const DefaultScanInterval = 2 * time.Second

// PressedLine is printed to Stdout each time the command is triggered.
const PressedLine = "power button pressed"

// Watcher reads every Dir/event* device and runs Command on a power-key press.
type Watcher struct {
	Dir          string    // usually /dev/input
	Command      []string  // argv, run without a shell
	Stdout       io.Writer // gets PressedLine
	Stderr       io.Writer // gets diagnostics
	ScanInterval time.Duration
	Quiet        time.Duration
	// Run executes the command; nil means os/exec with Stdout/Stderr attached.
	Run func(argv []string) error
}

// deviceEvent is one event (or the terminal read error) from one device.
type deviceEvent struct {
	path string
	ev   Event
	err  error
}

// Watch runs until ctx is cancelled. Devices are opened as they appear, so
// drivers that load after the agent starts are picked up on the next scan.
func (w *Watcher) Watch(ctx context.Context) error {
	if len(w.Command) == 0 {
		return errors.New("power-button: no command to run; pass -exec, e.g. -exec /sbin/poweroff")
	}
	interval := w.ScanInterval
	if interval <= 0 {
		interval = DefaultScanInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	events := make(chan deviceEvent)
	open := map[string]bool{}     // devices being read
	reported := map[string]bool{} // devices whose open failure was already logged
	saidNone := false             // "no devices" already printed since the last time some existed
	trigger := Trigger{Quiet: w.Quiet}

	scan := func() {
		paths, _ := filepath.Glob(filepath.Join(w.Dir, "event*"))
		sort.Strings(paths)
		for _, p := range paths {
			if open[p] {
				continue
			}
			f, err := os.Open(p)
			if err != nil {
				if !reported[p] {
					fmt.Fprintf(w.Stderr, "power-button: cannot open %s: %v (skipping it; run the agent as root)\n", p, err)
					reported[p] = true
				}
				continue
			}
			open[p] = true
			delete(reported, p)
			fmt.Fprintf(w.Stderr, "power-button: watching %s\n", p)
			go readDevice(ctx, p, f, events)
		}
		if len(open) == 0 && !saidNone {
			fmt.Fprintf(w.Stderr, "power-button: no input event devices in %s yet; rescanning every %v "+
				"(the kernel needs CONFIG_INPUT_EVDEV and an ACPI power button driver)\n", w.Dir, interval)
			saidNone = true
		} else if len(open) > 0 {
			saidNone = false
		}
	}

	scan()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			scan()
		case de := <-events:
			if de.err != nil {
				if errors.Is(de.err, io.EOF) {
					// A regular file (tests) or a vanished device: keep it marked so it is not re-read.
					continue
				}
				fmt.Fprintf(w.Stderr, "power-button: stopped reading %s: %v (will reopen it if it reappears)\n", de.path, de.err)
				delete(open, de.path)
				continue
			}
			if trigger.ShouldFire(de.ev, time.Now()) {
				fmt.Fprintln(w.Stdout, PressedLine)
				go w.runCommand()
			}
		}
	}
}

// readDevice sends every event read from f until a read fails, then sends the error and closes f.
func readDevice(ctx context.Context, path string, f *os.File, out chan<- deviceEvent) {
	defer f.Close()
	go func() { <-ctx.Done(); f.Close() }() // unblock the read on shutdown
	buf := make([]byte, EventSize)
	for {
		var de deviceEvent
		if _, err := io.ReadFull(f, buf); err != nil {
			de = deviceEvent{path: path, err: err}
		} else if ev, err := ParseEvent(buf); err != nil {
			de = deviceEvent{path: path, err: err}
		} else {
			de = deviceEvent{path: path, ev: ev}
		}
		select {
		case out <- de:
		case <-ctx.Done():
			return
		}
		if de.err != nil {
			return
		}
	}
}

// runCommand executes the configured command once and reports failures on Stderr.
func (w *Watcher) runCommand() {
	run := w.Run
	if run == nil {
		run = func(argv []string) error {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Stdout, cmd.Stderr = w.Stdout, w.Stderr
			return cmd.Run()
		}
	}
	if err := run(w.Command); err != nil {
		fmt.Fprintf(w.Stderr, "power-button: running %q failed: %v (check the -exec path)\n", w.Command, err)
	}
}
