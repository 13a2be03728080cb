// Tests for the pure parts: decoding crafted 24-byte input_event records and the fire/ignore decision.
// No devices are touched here; watcher_test.go covers the I/O loop.
package powerbutton

import (
	"encoding/binary"
	"testing"
	"time"
)

// rawEvent encodes an input_event exactly as a 64-bit little-endian kernel would.
func rawEvent(sec, usec int64, typ, code uint16, value int32) []byte {
	b := make([]byte, EventSize)
	binary.LittleEndian.PutUint64(b[0:], uint64(sec))
	binary.LittleEndian.PutUint64(b[8:], uint64(usec))
	binary.LittleEndian.PutUint16(b[16:], typ)
	binary.LittleEndian.PutUint16(b[18:], code)
	binary.LittleEndian.PutUint32(b[20:], uint32(value))
	return b
}

func TestParseEventKeyDown(t *testing.T) {
	b := []byte{
		0x10, 0x32, 0x54, 0x76, 0, 0, 0, 0, // tv_sec = 0x76543210
		0x40, 0x42, 0x0f, 0, 0, 0, 0, 0, // tv_usec = 1000000
		0x01, 0x00, // type EV_KEY
		0x74, 0x00, // code 116 KEY_POWER
		0x01, 0x00, 0x00, 0x00, // value 1
	}
	ev, err := ParseEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{Sec: 0x76543210, Usec: 1000000, Type: EvKey, Code: KeyPower, Value: KeyPressed}
	if ev != want {
		t.Fatalf("ParseEvent = %+v, want %+v", ev, want)
	}
	if !IsPowerPress(ev) {
		t.Errorf("IsPowerPress(%+v) = false", ev)
	}
}

func TestParseEventNegativeValueAndExtraBytes(t *testing.T) {
	b := append(rawEvent(5, 6, 0x02, 0x08, -3), 0xff, 0xff) // EV_REL REL_WHEEL -3, plus trailing junk
	ev, err := ParseEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Value != -3 || ev.Type != 2 || ev.Code != 8 || ev.Sec != 5 || ev.Usec != 6 {
		t.Fatalf("ParseEvent = %+v", ev)
	}
}

func TestParseEventShortReads(t *testing.T) {
	full := rawEvent(1, 2, EvKey, KeyPower, KeyPressed)
	for _, n := range []int{0, 1, 16, 23} {
		if _, err := ParseEvent(full[:n]); err == nil {
			t.Errorf("ParseEvent of %d bytes succeeded, want a short-read error", n)
		}
	}
}

func TestIsPowerPress(t *testing.T) {
	cases := []struct {
		name string
		ev   Event
		want bool
	}{
		{"power key down", Event{Type: EvKey, Code: KeyPower, Value: KeyPressed}, true},
		{"power key up", Event{Type: EvKey, Code: KeyPower, Value: KeyReleased}, false},
		{"power key autorepeat", Event{Type: EvKey, Code: KeyPower, Value: KeyRepeated}, false},
		{"KEY_A down", Event{Type: EvKey, Code: 30, Value: KeyPressed}, false},
		{"KEY_SLEEP down", Event{Type: EvKey, Code: 142, Value: KeyPressed}, false},
		{"EV_SYN", Event{Type: EvSyn, Code: 0, Value: 0}, false},
		{"EV_MSC with code 116", Event{Type: 0x04, Code: KeyPower, Value: 1}, false},
	}
	for _, c := range cases {
		ev, err := ParseEvent(rawEvent(0, 0, c.ev.Type, c.ev.Code, c.ev.Value))
		if err != nil {
			t.Fatal(err)
		}
		if got := IsPowerPress(ev); got != c.want {
			t.Errorf("%s: IsPowerPress = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTriggerIgnoresPressesDuringQuietPeriod(t *testing.T) {
	press := Event{Type: EvKey, Code: KeyPower, Value: KeyPressed}
	release := Event{Type: EvKey, Code: KeyPower, Value: KeyReleased}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var tr Trigger // zero value: 30s quiet period

	steps := []struct {
		ev   Event
		at   time.Duration
		want bool
	}{
		{release, 0, false},
		{press, 0, true},
		{release, time.Second, false},
		{press, 10 * time.Second, false},
		{press, 29*time.Second + 999*time.Millisecond, false},
		{press, 30 * time.Second, true},
		{Event{Type: EvKey, Code: 30, Value: 1}, 90 * time.Second, false},
		{press, 61 * time.Second, true},
	}
	for i, s := range steps {
		if got := tr.ShouldFire(s.ev, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%+v at %v): ShouldFire = %v, want %v", i, s.ev, s.at, got, s.want)
		}
	}
}

func TestTriggerCustomQuiet(t *testing.T) {
	press := Event{Type: EvKey, Code: KeyPower, Value: KeyPressed}
	tr := Trigger{Quiet: time.Second}
	t0 := time.Now()
	if !tr.ShouldFire(press, t0) || tr.ShouldFire(press, t0.Add(500*time.Millisecond)) || !tr.ShouldFire(press, t0.Add(time.Second)) {
		t.Fatal("custom quiet period not honoured")
	}
}
