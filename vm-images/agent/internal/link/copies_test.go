// Tests of the paths that skip a copy: Stream.Write lends its payload to the frame writer, and the read
// loop reads the channel straight into the decoder's buffer (Decoder.ReadOnce).
package link

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"testing"
)

// A writer that reuses one buffer after every Write must not change what was sent: Write returns only
// once the writer has copied the lent payload.
func TestWriteReusingOneBufferSendsEachFill(t *testing.T) {
	host, _ := pair(t, echo)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	st, err := host.Open(ctx, "echo-reuse")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const writes, size = 64, 100_000 // over MaxPayload: each Write is two DATA frames
	want := make([]byte, 0, writes*size)
	go func() {
		buf := make([]byte, size)
		for i := 0; i < writes; i++ {
			for j := range buf {
				buf[j] = byte(i*7 + j%251)
			}
			if _, err := st.Write(buf); err != nil {
				return
			}
		}
		st.CloseWrite()
	}()
	for i := 0; i < writes; i++ {
		for j := 0; j < size; j++ {
			want = append(want, byte(i*7+j%251))
		}
	}
	var got []byte
	if err := within(t, "the echo of 64 reused-buffer writes", func() error {
		var rerr error
		got, rerr = io.ReadAll(st)
		return rerr
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("echo differs from what was written (%d bytes back, %d sent)", len(got), len(want))
	}
}

// pieces is a reader that returns its bytes in random-sized reads, splitting headers and payloads.
type pieces struct {
	rest []byte
	rng  *rand.Rand
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.rest) == 0 {
		return 0, io.EOF
	}
	n := 1 + p.rng.Intn(3*HeaderSize+1000)
	if n > len(b) {
		n = len(b)
	}
	if n > len(p.rest) {
		n = len(p.rest)
	}
	copy(b, p.rest[:n])
	p.rest = p.rest[n:]
	return n, nil
}

// ReadOnce decodes the same frames as Feed, whatever sizes the channel's reads come in, including
// a frame larger than one read's chunk.
func TestDecoderReadOnceMatchesFeed(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var stream []byte
	var want []Frame
	for i := 0; i < 300; i++ {
		payload := make([]byte, 1+rng.Intn(MaxPayload))
		if i%3 == 0 {
			payload = payload[:1+rng.Intn(40)]
		}
		rng.Read(payload)
		f := Frame{Type: FrameData, Stream: uint32(1 + 2*(i%5)), Payload: payload}
		b, err := EncodeFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
		want = append(want, f)
	}
	for _, chunk := range []int{HeaderSize + 1, 4096, 64 * 1024} {
		d := NewDecoder()
		r := &pieces{rest: stream, rng: rand.New(rand.NewSource(int64(chunk)))}
		var got []Frame
		for {
			n, err := d.ReadOnce(r, chunk)
			if n > 0 {
				for {
					f, ok, ferr := d.Next()
					if ferr != nil {
						t.Fatalf("chunk %d: %v", chunk, ferr)
					}
					if !ok {
						break
					}
					got = append(got, f)
				}
			}
			if err == io.EOF {
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("chunk %d: %d frames decoded, want %d (%d bytes left)", chunk, len(got), len(want), d.Buffered())
		}
		for i := range want {
			if got[i].Stream != want[i].Stream || !bytes.Equal(got[i].Payload, want[i].Payload) {
				t.Fatalf("chunk %d: frame %d differs", chunk, i)
			}
		}
	}
}
