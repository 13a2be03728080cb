// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns the exec target's message framing: kinds, the 5-byte header, reading and writing messages.
package linkserve

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Message kinds of an exec stream (docs/protocol.md, "exec streams").
const (
	execStart   byte = 'S' // host: JSON execRequest, first and once
	execStdin   byte = 'I' // host: stdin bytes
	execEOF     byte = 'E' // host: empty, stdin EOF
	execResize  byte = 'R' // host: u16 rows, u16 cols
	execKill    byte = 'K' // host: 1 byte signal number, sent to the child's process group
	execStdout  byte = 'O' // guest: stdout bytes (everything from the pty with a tty)
	execStderr  byte = 'e' // guest: stderr bytes (without a tty)
	execExit    byte = 'X' // guest: JSON {"code":n,"signal":"SIGKILL"|null}, last
	execFailure byte = 'F' // guest: JSON {"message":"…"}, the process did not start
)

const (
	execHeaderSize = 5
	// execMaxPayload bounds one message's payload in both directions.
	execMaxPayload = 65536
)

// execMsg is one decoded message.
type execMsg struct {
	kind    byte
	payload []byte
}

// errExecTruncated: the host ended its direction in the middle of a message.
var errExecTruncated = errors.New("the host ended the exec stream in the middle of a message; send whole messages (1-byte kind, 4-byte length, payload)")

// execMalformed is a message the host must not send; its text is the RESET reason.
type execMalformed struct{ reason string }

func (e *execMalformed) Error() string { return e.reason }

func malformed(format string, args ...any) error {
	return &execMalformed{reason: fmt.Sprintf(format, args...)}
}

// readExecMsg reads one host→guest message. It returns io.EOF at a clean end (the host's
// CLOSE_WRITE between messages), errExecTruncated in the middle of one, an *execMalformed for an
// unknown kind, an oversized length or a wrong payload size, and stream errors as they come.
func readExecMsg(r *bufio.Reader) (execMsg, error) {
	var hdr [execHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:1]); err != nil {
		return execMsg{}, err
	}
	if _, err := io.ReadFull(r, hdr[1:]); err != nil {
		return execMsg{}, truncatedOr(err)
	}
	kind, n := hdr[0], binary.BigEndian.Uint32(hdr[1:])
	if err := checkHostMsg(kind, n); err != nil {
		return execMsg{}, err
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return execMsg{}, truncatedOr(err)
	}
	return execMsg{kind: kind, payload: payload}, nil
}

func truncatedOr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errExecTruncated
	}
	return err
}

// checkHostMsg validates a header before its payload is read.
func checkHostMsg(kind byte, n uint32) error {
	if n > execMaxPayload {
		return malformed("exec message %s has a length of %d bytes, over the limit of %d; split stdin into smaller I messages", kindName(kind), n, execMaxPayload)
	}
	switch kind {
	case execStart, execStdin:
	case execEOF:
		if n != 0 {
			return malformed("exec message E must be empty, got %d bytes", n)
		}
	case execResize:
		if n != 4 {
			return malformed("exec message R must be 4 bytes (u16 rows, u16 cols), got %d", n)
		}
	case execKill:
		if n != 1 {
			return malformed("exec message K must be 1 byte (a signal number), got %d", n)
		}
	default:
		return malformed("unknown exec message kind %s; the host may send S, I, E, R and K", kindName(kind))
	}
	return nil
}

func kindName(kind byte) string {
	if kind >= 0x21 && kind < 0x7f {
		return fmt.Sprintf("%q", rune(kind))
	}
	return fmt.Sprintf("0x%02x", kind)
}

// appendExecMsg appends a message to dst. The caller keeps payloads within execMaxPayload.
func appendExecMsg(dst []byte, kind byte, payload []byte) []byte {
	var hdr [execHeaderSize]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	return append(append(dst, hdr[:]...), payload...)
}
