// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns demultiplexing of Docker's attach/logs stream format (8-byte frame headers).
package dockerapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Stream identifiers in the first byte of a frame header.
const (
	StreamStdin  byte = 0
	StreamStdout byte = 1
	StreamStderr byte = 2
	StreamSystem byte = 3 // engine-side error text (API >= 1.42)
)

// maxFrame guards against a corrupt header making us allocate gigabytes.
const maxFrame = 16 << 20

// Demux splits a multiplexed stream (containers started without a TTY) into
// stdout and stderr. Each frame is: stream byte, 3 zero bytes, big-endian
// uint32 payload length, payload. Stdin frames are treated as stdout.
// A clean EOF between frames ends the stream; EOF inside a frame is an error.
func Demux(r io.Reader, stdout, stderr io.Writer) error {
	var header [8]byte
	var payload []byte
	for frame := 0; ; frame++ {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("log stream frame %d: reading header: %w", frame, err)
		}
		if header[1] != 0 || header[2] != 0 || header[3] != 0 || header[0] > StreamSystem {
			return fmt.Errorf("log stream frame %d: bad header % x (was the container started with a TTY? its logs are then not multiplexed)", frame, header)
		}
		size := binary.BigEndian.Uint32(header[4:])
		if size > maxFrame {
			return fmt.Errorf("log stream frame %d: payload of %d bytes exceeds %d byte limit", frame, size, maxFrame)
		}
		if cap(payload) < int(size) {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(r, payload); err != nil {
			return fmt.Errorf("log stream frame %d: reading %d byte payload: %w", frame, size, noEOF(err))
		}
		var w io.Writer
		switch header[0] {
		case StreamStdin, StreamStdout:
			w = stdout
		case StreamStderr:
			w = stderr
		case StreamSystem:
			return fmt.Errorf("log stream frame %d: engine error: %s", frame, payload)
		}
		if w == nil {
			continue
		}
		if _, err := w.Write(payload); err != nil {
			return fmt.Errorf("log stream frame %d: writing payload: %w", frame, err)
		}
	}
}

// noEOF turns a bare EOF in the middle of a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
