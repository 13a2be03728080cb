// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the error values: decoder/protocol errors with their shared codes, RESET and session errors.
package link

import (
	"errors"
	"fmt"
)

// ErrorCode names a protocol violation. The decoder codes are shared with the TypeScript codec.
type ErrorCode string

// Decoder codes (docs/protocol.md, "Error codes of the decoder").
const (
	CodeUnknownType     ErrorCode = "unknown-type"
	CodeReservedNonzero ErrorCode = "reserved-nonzero"
	CodeTooLong         ErrorCode = "too-long"
	CodeBadPayload      ErrorCode = "bad-payload"
	CodeBadStream       ErrorCode = "bad-stream"
)

// Session-level codes: valid frames used against the stream rules.
const (
	CodeBadHello       ErrorCode = "bad-hello"       // HELLO payload is not the JSON the spec describes
	CodeBadOpen        ErrorCode = "bad-open"        // OPEN id of the wrong parity or not increasing
	CodeWindowExceeded ErrorCode = "window-exceeded" // DATA beyond the window the receiver granted
)

// ProtocolError is a frame or frame sequence the protocol forbids. The session that gets one
// drops its streams and resynchronises on the next HELLO.
type ProtocolError struct {
	Code   ErrorCode
	Detail string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("guest link protocol error (%s): %s", e.Code, e.Detail)
}

func protoErr(code ErrorCode, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// ResetError is what Read and Write report after the peer sent RESET on the stream.
type ResetError struct {
	Stream uint32
	Reason string // the RESET payload; may be empty
}

func (e *ResetError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("guest link stream %d reset by the peer (no reason given)", e.Stream)
	}
	return fmt.Sprintf("guest link stream %d reset by the peer: %s", e.Stream, e.Reason)
}

var (
	// ErrSessionReset wraps the error streams get when the session drops them: a HELLO
	// (the peer started a new session), a protocol error, or the channel ending.
	ErrSessionReset = errors.New("guest link session reset; the stream was dropped")
	// ErrSessionClosed is returned by Open and Accept after the session ended.
	ErrSessionClosed = errors.New("guest link session is closed")
	// ErrClosedByPeer is returned by Write after the peer sent CLOSE.
	ErrClosedByPeer = errors.New("guest link stream closed by the peer")
	// ErrWriteClosed is returned by Write after CloseWrite.
	ErrWriteClosed = errors.New("guest link stream: write after CloseWrite")
	// ErrIDsExhausted is returned by Open when the session used up its stream ids; start a new session.
	ErrIDsExhausted = errors.New("guest link: stream ids exhausted in this session; start a new session")
)
