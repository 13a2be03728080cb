// 9P2000.L wire format: little-endian fields, strings as a 16-bit length and bytes, a message as
// size[4] type[1] tag[2] body. A decoder keeps the first error so handlers read fields without checks.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const headerSize = 7

// errShort is a message shorter than its fields say: the connection is broken, not the request.
var errShort = errors.New("9p: message shorter than its fields")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.err = errShort
		return make([]byte, n)
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8   { return d.take(1)[0] }
func (d *decoder) u16() uint16 { return binary.LittleEndian.Uint16(d.take(2)) }
func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }
func (d *decoder) str() string { return string(d.take(int(d.u16()))) }

// data is count[4] followed by that many bytes (Twrite).
func (d *decoder) data() []byte { return d.take(int(d.u32())) }

type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string) {
	e.u16(uint16(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) qid(q qid) {
	e.u8(q.typ)
	e.u32(q.version)
	e.u64(q.path)
}

// qid is the server's identity of a file: type (dir, symlink, file), version and a unique path.
type qid struct {
	typ     uint8
	version uint32
	path    uint64
}

const (
	qtDir     = 0x80
	qtSymlink = 0x02
	qtFile    = 0x00
	qidSize   = 13
)

// readMessage reads one message no larger than max bytes: its type, tag and body.
func readMessage(r io.Reader, max uint32) (uint8, uint16, []byte, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, nil, err
	}
	size := binary.LittleEndian.Uint32(h[:4])
	if size < headerSize || size > max {
		return 0, 0, nil, fmt.Errorf("9p: message of %d bytes (allowed %d–%d)", size, headerSize, max)
	}
	body := make([]byte, size-headerSize)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, 0, nil, err
	}
	return h[4], binary.LittleEndian.Uint16(h[5:7]), body, nil
}

// message frames a body as one complete message.
func message(typ uint8, tag uint16, body []byte) []byte {
	m := make([]byte, headerSize, headerSize+len(body))
	binary.LittleEndian.PutUint32(m, uint32(headerSize+len(body)))
	m[4] = typ
	binary.LittleEndian.PutUint16(m[5:], tag)
	return append(m, body...)
}
