// Native fuzzing of the Decoder, seeded with every shared vector: it must never panic, never loop,
// and every frame it returns must encode back to the bytes it came from.
package link

import (
	"bytes"
	"testing"
)

func FuzzDecoder(f *testing.F) {
	v := loadVectors(f)
	for _, group := range [][]vectorCase{v.Valid, v.Invalid, v.Truncated} {
		for _, c := range group {
			f.Add(mustHex(f, c.Hex), uint8(0))
			f.Add(mustHex(f, c.Hex), uint8(3))
		}
	}
	for _, c := range v.Valid {
		if len(c.Frames) == 1 && c.Frames[0].Type == "HELLO" {
			garbage := []byte("garbage\x7f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05{")
			f.Add(append(garbage, mustHex(f, c.Hex)...), uint8(7))
		}
	}

	f.Fuzz(checkDecoderOn)
}

// checkDecoderOn feeds data in chunks of the given size (0: all at once) and checks the decoder's
// invariants, resynchronising after every error.
func checkDecoderOn(t *testing.T, data []byte, chunk uint8) {
	d := NewDecoder()
	step := int(chunk)
	if step == 0 {
		step = len(data) + 1
	}
	consumed := 0 // bytes accounted for by frames or discards, in normal mode only
	normal := true
	for pos := 0; pos < len(data); {
		n := step
		if n > len(data)-pos {
			n = len(data) - pos
		}
		d.Feed(data[pos : pos+n])
		pos += n
		for iterations := 0; ; iterations++ {
			if iterations > len(data)+2 {
				t.Fatalf("decoder did not settle after %d calls", iterations)
			}
			before := d.Buffered()
			fr, ok, err := d.Next()
			if err != nil {
				d.Resync()
				normal = false
				continue
			}
			if !ok {
				break
			}
			if d.Buffered() >= before {
				t.Fatalf("Next returned a frame without consuming input")
			}
			enc, encErr := EncodeFrame(fr)
			if encErr != nil {
				t.Fatalf("decoded frame does not encode: %v", encErr)
			}
			if normal && !bytes.Equal(enc, data[consumed:consumed+len(enc)]) {
				t.Fatalf("frame re-encodes to %x, input had %x", enc, data[consumed:consumed+len(enc)])
			}
			consumed += len(enc)
		}
	}
	if d.Buffered() > len(data) {
		t.Fatalf("decoder holds %d bytes of %d fed", d.Buffered(), len(data))
	}
}
