// Package powerbutton turns a press of the VM's ACPI power button into a clean shutdown.
// This file owns the pure parsing of Linux `struct input_event` records (64-bit layout).
package powerbutton

import (
	"encoding/binary"
	"fmt"
)

// EventSize is sizeof(struct input_event) on 64-bit Linux:
// struct timeval (2 x int64), __u16 type, __u16 code, __s32 value.
const EventSize = 24

// Event types and key codes from <linux/input-event-codes.h>.
const (
	EvSyn    uint16 = 0x00
	EvKey    uint16 = 0x01
	KeyPower uint16 = 116
)

// Key event values.
const (
	KeyReleased int32 = 0
	KeyPressed  int32 = 1
	KeyRepeated int32 = 2
)

// Event is one decoded input_event.
type Event struct {
	Sec   int64
	Usec  int64
	Type  uint16
	Code  uint16
	Value int32
}

// ParseEvent decodes the first EventSize bytes of b (little endian). It fails
// if b is shorter than one record, which means the read was short or the
// device does not use the 64-bit layout.
func ParseEvent(b []byte) (Event, error) {
	if len(b) < EventSize {
		return Event{}, fmt.Errorf("short input_event: got %d bytes, want %d", len(b), EventSize)
	}
	le := binary.LittleEndian
	return Event{
		Sec:   int64(le.Uint64(b[0:8])),
		Usec:  int64(le.Uint64(b[8:16])),
		Type:  le.Uint16(b[16:18]),
		Code:  le.Uint16(b[18:20]),
		Value: int32(le.Uint32(b[20:24])),
	}, nil
}

// IsPowerPress reports whether ev is the power key going down (not release, not autorepeat).
func IsPowerPress(ev Event) bool {
	return ev.Type == EvKey && ev.Code == KeyPower && ev.Value == KeyPressed
}
