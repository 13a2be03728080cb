// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns Stream: a net.Conn-like byte stream with per-direction flow control and half-close.
package link

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// Stream is one multiplexed stream. Read and Write may run concurrently; several Writes are
// serialised. It implements net.Conn plus CloseWrite (half-close) and Reset (abort).
type Stream struct {
	s      *Session
	id     uint32
	target string

	writeMu sync.Mutex // serialises Write and CloseWrite
	wdone   chan error // outcome of the DATA frame being written (one at a time)

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	done    chan struct{} // closed once the stream is gone
	// receive direction
	chunks  [][]byte // buffered DATA not yet read
	recvLen int
	credit  int  // bytes the peer may still send before we return window
	unacked int  // bytes read but not yet returned with WINDOW
	eof     bool // peer sent CLOSE_WRITE or CLOSE
	// send direction
	window  int64 // bytes we may still send
	wclosed bool  // we sent CLOSE_WRITE
	// end of the stream
	gone       bool  // no more frames in either direction (freed in the session)
	closed     bool  // Close or Reset was called here
	peerClosed bool  // peer sent CLOSE
	err        error // RESET from the peer or the session dropped the stream
	rdl, wdl   time.Time
}

func newStream(s *Session, id uint32, target string) *Stream {
	return &Stream{
		s: s, id: id, target: target,
		wdone:   make(chan error, 1),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
		credit:  InitialWindow,
		window:  InitialWindow,
	}
}

// ID is the stream id.
func (st *Stream) ID() uint32 { return st.id }

// Target is the OPEN payload: what the opener asked to reach.
func (st *Stream) Target() string { return st.target }

// Done is closed when the stream is gone: CLOSE or RESET from the peer, a session reset, or
// Close/Reset here. Data buffered before a peer's CLOSE can still be read.
func (st *Stream) Done() <-chan struct{} { return st.done }

// Read reads stream data. It returns io.EOF after the peer's CLOSE_WRITE (or CLOSE) once the
// buffered data is consumed, a *ResetError after a RESET, and an error wrapping
// ErrSessionReset when the session dropped the stream.
func (st *Stream) Read(p []byte) (int, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for {
		switch {
		case st.closed:
			return 0, net.ErrClosed
		case st.err != nil:
			return 0, st.err
		case st.recvLen > 0:
			return st.consumeLocked(p), nil
		case st.eof:
			return 0, io.EOF
		case len(p) == 0:
			return 0, nil
		}
		if err := st.waitLocked(st.rdl); err != nil {
			return 0, err
		}
	}
}

// consumeLocked copies buffered data into p and returns window once half of it was read.
func (st *Stream) consumeLocked(p []byte) int {
	n := 0
	for n < len(p) && len(st.chunks) > 0 {
		c := copy(p[n:], st.chunks[0])
		n += c
		if c == len(st.chunks[0]) {
			st.chunks[0] = nil
			st.chunks = st.chunks[1:]
		} else {
			st.chunks[0] = st.chunks[0][c:]
		}
	}
	st.recvLen -= n
	st.unacked += n
	if st.unacked >= InitialWindow/2 && !st.eof && !st.gone {
		var inc [4]byte
		binary.BigEndian.PutUint32(inc[:], uint32(st.unacked))
		st.sendLocked(Frame{Type: FrameWindow, Stream: st.id, Payload: inc[:]})
		st.credit += st.unacked
		st.unacked = 0
	}
	return n
}

// Write sends p as DATA frames of at most MaxPayload bytes, waiting for window as needed and
// for each frame to reach the channel. A slow reader on the other side stalls only this stream.
func (st *Stream) Write(p []byte) (int, error) {
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	total := 0
	for len(p) > 0 {
		st.mu.Lock()
		for st.window <= 0 {
			if err := st.writeErrLocked(); err != nil {
				st.mu.Unlock()
				return total, err
			}
			if err := st.waitLocked(st.wdl); err != nil {
				st.mu.Unlock()
				return total, err
			}
		}
		if err := st.writeErrLocked(); err != nil {
			st.mu.Unlock()
			return total, err
		}
		n := len(p)
		if n > MaxPayload {
			n = MaxPayload
		}
		if int64(n) > st.window {
			n = int(st.window)
		}
		st.window -= int64(n)
		// The header alone is encoded; the writer copies p[:n] into its batch, and this call waits on
		// wdone before p is read again or returned to the caller.
		err := st.s.w.enqueueParts(dataHeader(st.id, n), p[:n], st.wdone)
		st.mu.Unlock()
		if err == nil {
			err = <-st.wdone
		}
		if err != nil {
			st.mu.Lock()
			if st.err != nil {
				err = st.err
			}
			st.mu.Unlock()
			return total, err
		}
		total += n
		p = p[n:]
	}
	return total, nil
}

func (st *Stream) writeErrLocked() error {
	switch {
	case st.closed:
		return net.ErrClosed
	case st.err != nil:
		return st.err
	case st.wclosed:
		return ErrWriteClosed
	case st.peerClosed:
		return ErrClosedByPeer
	}
	return nil
}

// CloseWrite sends CLOSE_WRITE after any Write in progress: the peer reads EOF after the data.
// Reading goes on. Calling it twice is harmless.
func (st *Stream) CloseWrite() error {
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.writeErrLocked(); err != nil {
		if err == ErrWriteClosed {
			return nil
		}
		return err
	}
	st.wclosed = true
	st.sendLocked(Frame{Type: FrameCloseWrite, Stream: st.id})
	st.broadcastLocked()
	return nil
}

// Close sends CLOSE (unless the stream is already gone) and frees the stream; later Read and
// Write calls here return net.ErrClosed.
func (st *Stream) Close() error {
	return st.finish(Frame{Type: FrameClose, Stream: st.id})
}

// Reset aborts the stream with RESET carrying reason (cut to MaxReason bytes); the peer
// discards what it buffered and reports the reason.
func (st *Stream) Reset(reason string) error {
	return st.finish(Frame{Type: FrameReset, Stream: st.id, Payload: []byte(truncateUTF8(reason, MaxReason))})
}

func (st *Stream) finish(f Frame) error {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	if !st.gone {
		st.sendLocked(f)
		st.setGoneLocked()
	}
	st.discardLocked()
	st.broadcastLocked()
	st.mu.Unlock()
	st.s.forget(st)
	return nil
}

// onData buffers DATA from the peer; more than the granted window is a protocol error.
func (st *Stream) onData(b []byte) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gone || st.eof {
		return nil // data after CLOSE_WRITE is dropped
	}
	if len(b) > st.credit {
		return protoErr(CodeWindowExceeded, "stream %d: DATA of %d bytes with only %d bytes of window left", st.id, len(b), st.credit)
	}
	st.credit -= len(b)
	st.chunks = append(st.chunks, b)
	st.recvLen += len(b)
	st.broadcastLocked()
	return nil
}

func (st *Stream) onWindow(inc uint32) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gone {
		return nil
	}
	if st.window+int64(inc) > math.MaxUint32 {
		return protoErr(CodeWindowExceeded, "stream %d: WINDOW of %d would raise the send window past 2^32-1", st.id, inc)
	}
	st.window += int64(inc)
	st.broadcastLocked()
	return nil
}

func (st *Stream) onCloseWrite() {
	st.mu.Lock()
	if !st.gone {
		st.eof = true
		st.broadcastLocked()
	}
	st.mu.Unlock()
}

func (st *Stream) onClose() {
	st.mu.Lock()
	if !st.gone {
		st.eof, st.peerClosed = true, true
		st.setGoneLocked()
		st.broadcastLocked()
	}
	st.mu.Unlock()
}

func (st *Stream) onReset(reason string) {
	st.abort(&ResetError{Stream: st.id, Reason: reason})
}

// abort ends the stream with err for Read and Write, discarding buffered data.
func (st *Stream) abort(err error) {
	st.mu.Lock()
	if !st.gone {
		st.err = err
		st.discardLocked()
		st.setGoneLocked()
		st.broadcastLocked()
	}
	st.mu.Unlock()
}

func (st *Stream) isGone() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.gone
}

// sendLocked queues a frame while st.mu is held, so a session reset cannot slip in between
// the state check and the frame: frames of a dropped stream never reach a new session.
func (st *Stream) sendLocked(f Frame) {
	b, err := EncodeFrame(f)
	if err == nil {
		_ = st.s.w.enqueue(b, nil) // fails only when the session ends
	}
}

func (st *Stream) setGoneLocked() {
	st.gone = true
	close(st.done)
}

func (st *Stream) discardLocked() {
	st.chunks, st.recvLen = nil, 0
}

func (st *Stream) broadcastLocked() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// waitLocked releases st.mu until the stream state changes or deadline passes.
func (st *Stream) waitLocked(deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	ch := st.changed
	st.mu.Unlock()
	defer st.mu.Lock()
	select {
	case <-ch:
		return nil
	case <-timeout:
		return os.ErrDeadlineExceeded
	}
}

// SetDeadline sets both deadlines; see net.Conn.
func (st *Stream) SetDeadline(t time.Time) error {
	st.mu.Lock()
	st.rdl, st.wdl = t, t
	st.broadcastLocked()
	st.mu.Unlock()
	return nil
}

// SetReadDeadline bounds Read calls; a zero time means none.
func (st *Stream) SetReadDeadline(t time.Time) error {
	st.mu.Lock()
	st.rdl = t
	st.broadcastLocked()
	st.mu.Unlock()
	return nil
}

// SetWriteDeadline bounds the wait for window in Write; a zero time means none.
func (st *Stream) SetWriteDeadline(t time.Time) error {
	st.mu.Lock()
	st.wdl = t
	st.broadcastLocked()
	st.mu.Unlock()
	return nil
}

// Addr names one end of a stream for net.Conn.
type Addr struct {
	Role   Role
	Stream uint32
	Target string
}

// Network returns "berth-link".
func (a Addr) Network() string { return "berth-link" }

func (a Addr) String() string { return fmt.Sprintf("%s/%d(%s)", a.Role, a.Stream, a.Target) }

// LocalAddr is this side of the stream.
func (st *Stream) LocalAddr() net.Addr {
	return Addr{Role: st.s.cfg.Role, Stream: st.id, Target: st.target}
}

// RemoteAddr is the peer's side of the stream.
func (st *Stream) RemoteAddr() net.Addr {
	return Addr{Role: st.s.peerRole(), Stream: st.id, Target: st.target}
}

// truncateUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

var _ net.Conn = (*Stream)(nil)
