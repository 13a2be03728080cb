// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the streaming Decoder: frame parsing from byte chunks, sticky errors and HELLO resync.
package link

import (
	"bytes"
	"encoding/binary"
	"io"
)

// helloPrefix is the first 8 header bytes of every valid HELLO: type 0x7f, flags, reserved, stream 0.
var helloPrefix = []byte{byte(FrameHello), 0, 0, 0, 0, 0, 0, 0}

// Decoder turns byte chunks into frames. Feed it what the channel gives, then call Next until it
// reports that it needs more bytes. A truncated frame is not an error: Next waits for the rest.
//
// After an error Next keeps returning it until Resync is called. In resync mode the decoder
// discards bytes until a HELLO header whose payload is JSON with the right magic, returns that
// HELLO and goes back to normal decoding. A Decoder is not safe for concurrent use.
type Decoder struct {
	buf       []byte // unconsumed bytes are buf[off:]
	off       int
	err       error
	resync    bool
	discarded int64 // bytes dropped while resynchronising, since the last Resync
}

// NewDecoder returns a decoder in normal mode.
func NewDecoder() *Decoder { return &Decoder{} }

// Feed adds bytes from the channel. The decoder copies them.
func (d *Decoder) Feed(p []byte) {
	if d.off == len(d.buf) {
		d.buf, d.off = d.buf[:0], 0
	} else if d.off > 0 && cap(d.buf)-len(d.buf) < len(p) {
		n := copy(d.buf, d.buf[d.off:])
		d.buf, d.off = d.buf[:n], 0
	}
	d.buf = append(d.buf, p...)
}

// ReadOnce reads once from r, at most chunk bytes, straight into the decoder's buffer: what Feed
// does without the copy from the caller's buffer. It returns what r.Read returned.
func (d *Decoder) ReadOnce(r io.Reader, chunk int) (int, error) {
	if d.off == len(d.buf) {
		d.buf, d.off = d.buf[:0], 0
	} else if d.off > 0 && cap(d.buf)-len(d.buf) < chunk {
		n := copy(d.buf, d.buf[d.off:])
		d.buf, d.off = d.buf[:n], 0
	}
	if cap(d.buf)-len(d.buf) < chunk {
		grown := make([]byte, len(d.buf), len(d.buf)+chunk)
		copy(grown, d.buf)
		d.buf = grown
	}
	end := len(d.buf)
	n, err := r.Read(d.buf[end : end+chunk])
	d.buf = d.buf[:end+n]
	return n, err
}

// Buffered is the number of bytes fed but not yet consumed.
func (d *Decoder) Buffered() int { return len(d.buf) - d.off }

// Resync clears the error and discards bytes until the next valid HELLO.
func (d *Decoder) Resync() {
	d.err, d.resync, d.discarded = nil, true, 0
}

// Resyncing reports whether the decoder is looking for a HELLO.
func (d *Decoder) Resyncing() bool { return d.resync }

// Discarded is how many bytes resync mode dropped since the last Resync.
func (d *Decoder) Discarded() int64 { return d.discarded }

// Next returns the next complete frame (ok true), or ok false when more bytes are needed, or a
// *ProtocolError. The returned payload is a fresh copy the caller owns.
func (d *Decoder) Next() (f Frame, ok bool, err error) {
	if d.err != nil {
		return Frame{}, false, d.err
	}
	if d.resync {
		return d.nextHello()
	}
	b := d.buf[d.off:]
	if len(b) < HeaderSize {
		return Frame{}, false, nil
	}
	t := FrameType(b[0])
	stream := binary.BigEndian.Uint32(b[4:8])
	length := binary.BigEndian.Uint32(b[8:12])
	if err := checkHeader(t, b[1], binary.BigEndian.Uint16(b[2:4]), stream, length); err != nil {
		d.err = err
		return Frame{}, false, err
	}
	end := HeaderSize + int(length) // length <= MaxPayload here
	if len(b) < end {
		return Frame{}, false, nil
	}
	payload := append([]byte{}, b[HeaderSize:end]...)
	if err := checkPayload(t, payload); err != nil {
		d.err = err
		return Frame{}, false, err
	}
	d.off += end
	return Frame{Type: t, Stream: stream, Payload: payload}, true, nil
}

// nextHello scans for a valid HELLO, discarding everything before it.
func (d *Decoder) nextHello() (Frame, bool, error) {
	for {
		b := d.buf[d.off:]
		i := bytes.Index(b, helloPrefix)
		if i < 0 {
			// Keep a tail that may be the start of a HELLO header split across chunks.
			keep := len(helloPrefix) - 1
			if len(b) < keep {
				keep = len(b)
			}
			d.skip(len(b) - keep)
			return Frame{}, false, nil
		}
		d.skip(i)
		b = d.buf[d.off:]
		if len(b) < HeaderSize {
			return Frame{}, false, nil
		}
		n := int(binary.BigEndian.Uint32(b[8:12]))
		if n < 1 || n > MaxHello {
			d.skip(1)
			continue
		}
		avail := b[HeaderSize:]
		if len(avail) > n {
			avail = avail[:n]
		}
		if !plausibleJSONObject(avail) {
			d.skip(1)
			continue
		}
		if len(avail) < n {
			return Frame{}, false, nil
		}
		if _, err := ParseHello(avail); err != nil {
			d.skip(1)
			continue
		}
		payload := append([]byte{}, avail...)
		d.off += HeaderSize + n
		d.resync = false
		return Frame{Type: FrameHello, Payload: payload}, true, nil
	}
}

func (d *Decoder) skip(n int) {
	d.off += n
	d.discarded += int64(n)
}

// plausibleJSONObject rejects, early, a HELLO candidate whose payload (possibly still partial)
// cannot be a JSON object: it must start with '{' after whitespace and hold no control bytes.
// Without this a stray 7f 00 … in old stream data could make resync wait for up to 4 KiB that
// never come while the peer waits for our answer to its real HELLO.
func plausibleJSONObject(p []byte) bool {
	started := false
	for _, c := range p {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c < 0x20:
			return false
		case !started && c != '{':
			return false
		}
		if c == '{' {
			started = true
		}
	}
	return true
}
