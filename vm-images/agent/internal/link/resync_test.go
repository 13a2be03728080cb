// Raw-peer tests of a guest session: garbage before HELLO is skipped, HELLO replies, PONG,
// protocol errors (bad frames, id parity and order, window overrun) end the session and resync.
package link

import (
	"encoding/binary"
	"testing"
)

func TestGarbageBeforeHelloIsSkipped(t *testing.T) {
	s, host := guestWithRawHost(t, Config{Passive: true, Accept: echo})
	// the tail of a frame cut by a reconnect, a fake HELLO header with a non-JSON payload, then HELLO
	host.sendRaw([]byte("\x02\x00\x00\x00\x00\x00\x00\x01\x00\x00\x10\x00tail of old data"))
	host.sendRaw([]byte{0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0xff, 0x00, 0x01})
	host.sendHello(false)
	h := host.expectHello(true)
	if h.Role != "guest" || h.Magic != Magic || h.Version != ProtocolVersion {
		t.Fatalf("guest HELLO %+v", h)
	}
	host.send(Frame{Type: FrameOpen, Stream: 1, Payload: []byte("echo")})
	host.send(Frame{Type: FrameData, Stream: 1, Payload: []byte("abc")})
	if f := host.expect(FrameData); string(f.Payload) != "abc" || f.Stream != 1 {
		t.Fatalf("echo frame %+v", f)
	}
	host.send(Frame{Type: FramePing, Payload: []byte("12345678")})
	if f := host.expect(FramePong); string(f.Payload) != "12345678" {
		t.Fatalf("PONG payload %q", f.Payload)
	}
	if s.dec.Discarded() == 0 {
		t.Fatal("decoder reports no discarded bytes")
	}
}

func TestActiveGuestSendsHelloFirst(t *testing.T) {
	_, host := guestWithRawHost(t, Config{Agent: "1.2.3"})
	if h := host.expectHello(false); h.Agent != "1.2.3" {
		t.Fatalf("agent %q", h.Agent)
	}
	host.sendHello(true) // the host answers: no further HELLO from the guest
	host.send(Frame{Type: FramePing, Payload: make([]byte, 8)})
	host.expect(FramePong)
}

func TestProtocolErrorsResync(t *testing.T) {
	cases := []struct {
		name string
		bad  func(*rawPeer)
	}{
		{"unknown type", func(p *rawPeer) { p.sendRaw([]byte{0x09, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'x'}) }},
		{"open with an even id", func(p *rawPeer) { p.send(Frame{Type: FrameOpen, Stream: 4, Payload: []byte("echo")}) }},
		{"open id not increasing", func(p *rawPeer) { p.send(Frame{Type: FrameOpen, Stream: 1, Payload: []byte("echo")}) }},
		{"data beyond the window", func(p *rawPeer) {
			for i := 0; i < InitialWindow/MaxPayload+1; i++ {
				p.send(Frame{Type: FrameData, Stream: 1, Payload: make([]byte, MaxPayload)})
			}
		}},
		{"hello that is not JSON", func(p *rawPeer) { p.send(Frame{Type: FrameHello, Payload: []byte("{nope")}) }},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			stalled := make(chan *Stream, 1)
			_, host := guestWithRawHost(t, Config{Passive: true, Accept: func(st *Stream) { stalled <- st }})
			host.sendHello(false)
			host.expectHello(true)
			host.send(Frame{Type: FrameOpen, Stream: 1, Payload: []byte("stall")})
			st := <-stalled
			c.bad(host)
			// the guest ends the session: the stream fails and a new HELLO (not a reply) comes
			host.expectHello(false)
			if _, err := st.Read(make([]byte, 1)); err == nil {
				t.Fatal("stream survived a protocol error")
			}
			// frames before the next HELLO are discarded; after it the session works again
			host.send(Frame{Type: FrameOpen, Stream: 3, Payload: []byte("ignored")})
			host.sendHello(true)
			host.send(Frame{Type: FramePing, Payload: []byte("after-ok")})
			if f := host.expect(FramePong); string(f.Payload) != "after-ok" {
				t.Fatalf("PONG %q", f.Payload)
			}
			host.send(Frame{Type: FrameOpen, Stream: 1, Payload: []byte("again")})
			if st := <-stalled; st.Target() != "again" {
				t.Fatalf("stream after resync has target %q; the OPEN sent during resync leaked", st.Target())
			}
		})
	}
}

func TestUnknownStreamFramesAreIgnored(t *testing.T) {
	_, host := guestWithRawHost(t, Config{Passive: true, Accept: echo})
	host.sendHello(false)
	host.expectHello(true)
	inc := make([]byte, 4)
	binary.BigEndian.PutUint32(inc, 10)
	for _, f := range []Frame{
		{Type: FrameData, Stream: 7, Payload: []byte("late")},
		{Type: FrameWindow, Stream: 7, Payload: inc},
		{Type: FrameCloseWrite, Stream: 9},
		{Type: FrameClose, Stream: 9},
		{Type: FrameReset, Stream: 11, Payload: []byte("late reset")},
	} {
		host.send(f)
	}
	host.send(Frame{Type: FramePing, Payload: []byte("still-ok")})
	host.expect(FramePong)
}

func TestGuestSplitsLargeWritesAndRespectsWindow(t *testing.T) {
	const size = 3*MaxPayload + 100
	_, host := guestWithRawHost(t, Config{Passive: true, Accept: func(st *Stream) {
		st.Write(make([]byte, InitialWindow+size))
		st.Close()
	}})
	host.sendHello(false)
	host.expectHello(true)
	host.send(Frame{Type: FrameOpen, Stream: 1, Payload: []byte("big")})
	got := 0
	for got < InitialWindow {
		f := host.expect(FrameData)
		if len(f.Payload) > MaxPayload {
			t.Fatalf("DATA frame of %d bytes", len(f.Payload))
		}
		got += len(f.Payload)
	}
	if got != InitialWindow {
		t.Fatalf("guest sent %d bytes before any WINDOW, want exactly %d", got, InitialWindow)
	}
	select {
	case f := <-host.frames:
		t.Fatalf("guest sent %v beyond its window", f.Type)
	default:
	}
	inc := make([]byte, 4)
	binary.BigEndian.PutUint32(inc, size)
	host.send(Frame{Type: FrameWindow, Stream: 1, Payload: inc})
	for got < InitialWindow+size {
		got += len(host.expect(FrameData).Payload)
	}
	host.expect(FrameClose)
}
