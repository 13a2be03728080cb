// Package powerbutton turns a press of the VM's ACPI power button into a clean shutdown.
// This file owns the pure decision of whether an event should trigger the shutdown command.
package powerbutton

import "time"

// DefaultQuiet is how long further presses are ignored after one triggered the command.
const DefaultQuiet = 30 * time.Second

// Trigger decides which events fire the command: a power-key press fires
// unless another press fired less than Quiet ago. The zero value uses DefaultQuiet.
type Trigger struct {
	Quiet time.Duration

	fired    bool
	lastFire time.Time
}

// ShouldFire reports whether ev, observed at now, should run the command,
// and records the firing time when it does.
func (t *Trigger) ShouldFire(ev Event, now time.Time) bool {
	if !IsPowerPress(ev) {
		return false
	}
	quiet := t.Quiet
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	if t.fired && now.Sub(t.lastFire) < quiet {
		return false
	}
	t.fired = true
	t.lastFire = now
	return true
}
