// Tests for Demux: multiple stdout/stderr frames, empty frames, truncation and bad headers.
// Frames are built by hand here, independently of the fake engine's encoder.
package dockerapi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func frame(stream byte, payload string) []byte {
	b := make([]byte, 8+len(payload))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:8], uint32(len(payload)))
	copy(b[8:], payload)
	return b
}

func join(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

func TestDemuxMultipleFramesAndStderr(t *testing.T) {
	in := join(
		frame(StreamStdout, "tok"),
		frame(StreamStderr, "warning: one\n"),
		frame(StreamStdout, "en=abc\n"),
		frame(StreamStdout, ""),
		frame(StreamStderr, "warning: two\n"),
		frame(StreamStdin, "x\n"),
	)
	var out, errOut bytes.Buffer
	if err := Demux(bytes.NewReader(in), &out, &errOut); err != nil {
		t.Fatalf("Demux: %v", err)
	}
	if got, want := out.String(), "token=abc\nx\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := errOut.String(), "warning: one\nwarning: two\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestDemuxEmptyStream(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Demux(bytes.NewReader(nil), &out, &errOut); err != nil {
		t.Fatalf("Demux of empty stream: %v", err)
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("expected no output, got %q / %q", out.String(), errOut.String())
	}
}

func TestDemuxTruncated(t *testing.T) {
	full := frame(StreamStdout, "hello world")
	cases := map[string][]byte{
		"partial header":  full[:5],
		"partial payload": full[:12],
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := Demux(bytes.NewReader(in), io.Discard, io.Discard)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("Demux(%s) error = %v, want ErrUnexpectedEOF", name, err)
			}
		})
	}
}

func TestDemuxRejectsRawTTYStream(t *testing.T) {
	err := Demux(strings.NewReader("token=abc\nmore text\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "bad header") {
		t.Fatalf("Demux of raw text error = %v, want bad header", err)
	}
}

func TestDemuxSystemErrorFrame(t *testing.T) {
	in := join(frame(StreamStdout, "ok\n"), frame(StreamSystem, "log driver broke"))
	var out bytes.Buffer
	err := Demux(bytes.NewReader(in), &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "log driver broke") {
		t.Fatalf("error = %v, want engine error text", err)
	}
	if out.String() != "ok\n" {
		t.Errorf("stdout before the error = %q, want %q", out.String(), "ok\n")
	}
}
