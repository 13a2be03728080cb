package main

import (
	"bytes"
	"syscall"
	"testing"
)

func TestWireRoundTrip(t *testing.T) {
	var e encoder
	e.u8(7)
	e.u16(0xBEEF)
	e.u32(0xDEADBEEF)
	e.u64(1 << 40)
	e.str("naïve/ü")
	e.qid(qid{typ: qtDir, version: 3, path: 99})
	d := &decoder{b: e.b}
	if d.u8() != 7 || d.u16() != 0xBEEF || d.u32() != 0xDEADBEEF || d.u64() != 1<<40 || d.str() != "naïve/ü" {
		t.Fatal("fields did not round-trip")
	}
	if d.u8() != qtDir || d.u32() != 3 || d.u64() != 99 || d.err != nil || len(d.b) != 0 {
		t.Fatal("qid did not round-trip")
	}
	d.u32()
	if d.err != errShort {
		t.Fatal("reading past the end must fail")
	}
}

func TestMessageFraming(t *testing.T) {
	m := message(tclunk, 5, []byte{1, 0, 0, 0})
	typ, tag, body, err := readMessage(bytes.NewReader(m), 1024)
	if err != nil || typ != tclunk || tag != 5 || !bytes.Equal(body, []byte{1, 0, 0, 0}) {
		t.Fatalf("got %d %d %v %v", typ, tag, body, err)
	}
	if _, _, _, err := readMessage(bytes.NewReader([]byte{3, 0, 0, 0, 0, 0, 0}), 1024); err == nil {
		t.Fatal("a size below the header must be refused")
	}
	big := message(twrite, 1, make([]byte, 2000))
	if _, _, _, err := readMessage(bytes.NewReader(big), 1024); err == nil {
		t.Fatal("a message above msize must be refused")
	}
}

func TestVersionNegotiation(t *testing.T) {
	c := newClient(t, t.TempDir(), false)
	var e encoder
	e.u32(8192)
	e.str("9P2000.u")
	d := c.must(tversion, e.b)
	if d.u32() != 8192 || d.str() != "unknown" {
		t.Fatal("a dialect other than 9P2000.L must be answered unknown")
	}
}

func TestTruncatedRequestIsEinval(t *testing.T) {
	c := newClient(t, t.TempDir(), false)
	if _, errno := c.rpc(twalk, []byte{0, 0}); errno != syscall.EINVAL {
		t.Fatalf("got %v", errno)
	}
	if _, errno := c.rpc(99, nil); errno != syscall.EOPNOTSUPP {
		t.Fatalf("unknown request: got %v", errno)
	}
}
