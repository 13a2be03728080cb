// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the frame format: types, limits, the per-type header rules and EncodeFrame.
package link

import (
	"encoding/binary"
	"fmt"
)

// Protocol constants (docs/protocol.md, version 1).
const (
	HeaderSize    = 12     // type, flags, reserved(2), stream(4), length(4)
	MaxPayload    = 65536  // largest payload of any frame (DATA)
	MaxTarget     = 1024   // largest OPEN payload
	MaxReason     = 1024   // largest RESET payload
	MaxHello      = 4096   // largest HELLO payload
	InitialWindow = 262144 // flow-control window of each direction of each stream
)

// FrameType is the first header byte.
type FrameType uint8

// The frame types of version 1.
const (
	FrameOpen       FrameType = 0x01
	FrameData       FrameType = 0x02
	FrameWindow     FrameType = 0x03
	FrameCloseWrite FrameType = 0x04
	FrameClose      FrameType = 0x05
	FrameReset      FrameType = 0x06
	FramePing       FrameType = 0x07
	FramePong       FrameType = 0x08
	FrameHello      FrameType = 0x7f
)

// Frame is one decoded or to-be-encoded frame. Flags and reserved are always 0 in version 1.
type Frame struct {
	Type    FrameType
	Stream  uint32
	Payload []byte
}

// typeRule says where a frame type may appear and how long its payload may be.
type typeRule struct {
	name  string
	link  bool // stream must be 0 (link frame); otherwise it must not be 0
	min   int  // smallest payload
	max   int  // largest payload
	fixed bool // payload size must be exactly max (a wrong size is bad-payload, never too-long)
}

var typeRules = map[FrameType]typeRule{
	FrameOpen:       {name: "OPEN", min: 1, max: MaxTarget},
	FrameData:       {name: "DATA", min: 1, max: MaxPayload},
	FrameWindow:     {name: "WINDOW", min: 4, max: 4, fixed: true},
	FrameCloseWrite: {name: "CLOSE_WRITE", fixed: true},
	FrameClose:      {name: "CLOSE", fixed: true},
	FrameReset:      {name: "RESET", max: MaxReason},
	FramePing:       {name: "PING", link: true, min: 8, max: 8, fixed: true},
	FramePong:       {name: "PONG", link: true, min: 8, max: 8, fixed: true},
	FrameHello:      {name: "HELLO", link: true, min: 1, max: MaxHello},
}

// String gives the protocol name of t ("OPEN", "CLOSE_WRITE" …) or its hex value when unknown.
func (t FrameType) String() string {
	if r, ok := typeRules[t]; ok {
		return r.name
	}
	return fmt.Sprintf("0x%02x", uint8(t))
}

// checkHeader applies the header rules, in a fixed order, to one frame header.
func checkHeader(t FrameType, flags uint8, reserved uint16, stream, length uint32) error {
	r, ok := typeRules[t]
	if !ok {
		return protoErr(CodeUnknownType, "frame type 0x%02x is not defined in protocol version 1", uint8(t))
	}
	if flags != 0 || reserved != 0 {
		return protoErr(CodeReservedNonzero, "%s frame has flags 0x%02x and reserved 0x%04x; both must be 0", r.name, flags, reserved)
	}
	if r.link && stream != 0 {
		return protoErr(CodeBadStream, "%s frame on stream %d; link frames use stream 0", r.name, stream)
	}
	if !r.link && stream == 0 {
		return protoErr(CodeBadStream, "%s frame on stream 0; stream frames need a stream id", r.name)
	}
	switch {
	case r.fixed && int64(length) != int64(r.max):
		return protoErr(CodeBadPayload, "%s payload is %d bytes; it must be exactly %d", r.name, length, r.max)
	case int64(length) > int64(r.max):
		return protoErr(CodeTooLong, "%s payload is %d bytes; the limit is %d", r.name, length, r.max)
	case int64(length) < int64(r.min):
		return protoErr(CodeBadPayload, "%s payload is empty; it needs at least %d byte(s)", r.name, r.min)
	}
	return nil
}

// checkPayload applies the rules that need the payload itself.
func checkPayload(t FrameType, payload []byte) error {
	if t == FrameWindow && binary.BigEndian.Uint32(payload) == 0 {
		return protoErr(CodeBadPayload, "WINDOW increment is 0; it must be > 0")
	}
	return nil
}

// dataHeader is the header of a DATA frame of n bytes (1..MaxPayload) on stream id.
func dataHeader(id uint32, n int) []byte {
	h := make([]byte, HeaderSize)
	h[0] = byte(FrameData)
	binary.BigEndian.PutUint32(h[4:8], id)
	binary.BigEndian.PutUint32(h[8:12], uint32(n))
	return h
}

// EncodeFrame returns the bytes of f, or a *ProtocolError if f breaks a frame rule.
func EncodeFrame(f Frame) ([]byte, error) {
	return AppendFrame(make([]byte, 0, HeaderSize+len(f.Payload)), f)
}

// AppendFrame appends the bytes of f to dst, or returns dst unchanged and a *ProtocolError.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if len(f.Payload) > MaxPayload {
		return dst, protoErr(CodeTooLong, "%s payload is %d bytes; the limit is %d", f.Type, len(f.Payload), MaxPayload)
	}
	if err := checkHeader(f.Type, 0, 0, f.Stream, uint32(len(f.Payload))); err != nil {
		return dst, err
	}
	if err := checkPayload(f.Type, f.Payload); err != nil {
		return dst, err
	}
	var h [HeaderSize]byte
	h[0] = byte(f.Type)
	binary.BigEndian.PutUint32(h[4:8], f.Stream)
	binary.BigEndian.PutUint32(h[8:12], uint32(len(f.Payload)))
	dst = append(dst, h[:]...)
	return append(dst, f.Payload...), nil
}
