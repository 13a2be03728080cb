// Tests of the codec against the shared vectors in test/fixtures/guest-link-vectors.json, which the
// TypeScript codec must pass too: whole buffers, one byte at a time, and encoding back to the hex.
package link

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

const vectorsPath = "../../../../test/fixtures/guest-link-vectors.json"

type vectorFrame struct {
	Type    string `json:"type"`
	Stream  uint32 `json:"stream"`
	Payload string `json:"payload"`
}

type vectorCase struct {
	Name   string        `json:"name"`
	Hex    string        `json:"hex"`
	Frames []vectorFrame `json:"frames"`
	Error  string        `json:"error"`
}

type vectorFile struct {
	MaxPayload int          `json:"maxPayload"`
	Valid      []vectorCase `json:"valid"`
	Invalid    []vectorCase `json:"invalid"`
	Truncated  []vectorCase `json:"truncated"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("reading the shared vectors: %v", err)
	}
	var v vectorFile
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parsing %s: %v", vectorsPath, err)
	}
	if len(v.Valid) == 0 || len(v.Invalid) == 0 || len(v.Truncated) == 0 {
		t.Fatalf("%s has an empty section", vectorsPath)
	}
	return v
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vectors: %v", err)
	}
	return b
}

func typeByName(t testing.TB, name string) FrameType {
	t.Helper()
	for ft, r := range typeRules {
		if r.name == name {
			return ft
		}
	}
	t.Fatalf("vector uses unknown type name %q", name)
	return 0
}

// decodeAll feeds input in chunks of size step (0: all at once) and collects frames up to the first error.
func decodeAll(input []byte, step int) ([]Frame, error) {
	d := NewDecoder()
	var frames []Frame
	if step <= 0 {
		step = len(input) + 1
	}
	for len(input) > 0 {
		n := step
		if n > len(input) {
			n = len(input)
		}
		d.Feed(input[:n])
		input = input[n:]
		for {
			f, ok, err := d.Next()
			if err != nil {
				return frames, err
			}
			if !ok {
				break
			}
			frames = append(frames, f)
		}
	}
	return frames, nil
}

func TestVectorMaxPayload(t *testing.T) {
	if v := loadVectors(t); v.MaxPayload != MaxPayload {
		t.Fatalf("vectors say maxPayload %d, codec has %d", v.MaxPayload, MaxPayload)
	}
}

func TestValidVectors(t *testing.T) {
	for _, c := range loadVectors(t).Valid {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			input := mustHex(t, c.Hex)
			want := make([]Frame, len(c.Frames))
			var encoded []byte
			for i, vf := range c.Frames {
				want[i] = Frame{Type: typeByName(t, vf.Type), Stream: vf.Stream, Payload: mustHex(t, vf.Payload)}
				var err error
				if encoded, err = AppendFrame(encoded, want[i]); err != nil {
					t.Fatalf("encoding frame %d: %v", i, err)
				}
			}
			if !bytes.Equal(encoded, input) {
				t.Fatalf("encoding the frames gives\n%x\nwant\n%x", encoded, input)
			}
			for _, step := range []int{0, 1, 5, HeaderSize} {
				got, err := decodeAll(input, step)
				if err != nil {
					t.Fatalf("step %d: unexpected error %v", step, err)
				}
				if len(got) != len(want) {
					t.Fatalf("step %d: %d frames, want %d", step, len(got), len(want))
				}
				for i := range want {
					if got[i].Type != want[i].Type || got[i].Stream != want[i].Stream || !bytes.Equal(got[i].Payload, want[i].Payload) {
						t.Fatalf("step %d frame %d: got %v/%d/%x want %v/%d/%x", step, i, got[i].Type, got[i].Stream, got[i].Payload, want[i].Type, want[i].Stream, want[i].Payload)
					}
				}
			}
		})
	}
}

func TestInvalidVectors(t *testing.T) {
	for _, c := range loadVectors(t).Invalid {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			for _, step := range []int{0, 1} {
				_, err := decodeAll(mustHex(t, c.Hex), step)
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("step %d: error %v, want a *ProtocolError %q", step, err, c.Error)
				}
				if string(pe.Code) != c.Error {
					t.Fatalf("step %d: code %q (%v), want %q", step, pe.Code, pe, c.Error)
				}
			}
		})
	}
}

func TestTruncatedVectors(t *testing.T) {
	for _, c := range loadVectors(t).Truncated {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			for _, step := range []int{0, 1} {
				frames, err := decodeAll(mustHex(t, c.Hex), step)
				if err != nil || len(frames) != 0 {
					t.Fatalf("step %d: frames %v error %v, want neither", step, frames, err)
				}
			}
		})
	}
}

func TestEncodeRejectsWhatDecoderRejects(t *testing.T) {
	bad := []Frame{
		{Type: 0x09, Stream: 1, Payload: []byte("x")},
		{Type: FrameData, Stream: 0, Payload: []byte("x")},
		{Type: FrameData, Stream: 1},
		{Type: FrameData, Stream: 1, Payload: make([]byte, MaxPayload+1)},
		{Type: FrameWindow, Stream: 1, Payload: []byte{0, 0, 0, 0}},
		{Type: FramePing, Stream: 0, Payload: []byte("1234567")},
		{Type: FrameHello, Stream: 3, Payload: []byte("{}")},
	}
	for _, f := range bad {
		if b, err := EncodeFrame(f); err == nil {
			t.Errorf("EncodeFrame(%v on %d, %d bytes) = %x, want an error", f.Type, f.Stream, len(f.Payload), b)
		}
	}
}
