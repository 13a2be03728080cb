// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the Session type and its caller-facing API: Open, Accept, Ping, Restart, Close.
package link

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// DefaultAcceptBacklog is how many peer-opened streams wait for Accept before new ones are reset.
const DefaultAcceptBacklog = 64

// Config describes one side of a session.
type Config struct {
	// Role decides the id parity: RoleHost opens odd ids, RoleGuest even ids. Required.
	Role Role
	// Agent is the version string sent in HELLO ("agent").
	Agent string
	// Passive skips the HELLO at start; the session answers the peer's HELLO instead. Use it
	// only when the peer is known to start the session (the agent after the host reconnected).
	Passive bool
	// Accept, when set, is called in a new goroutine for every stream the peer opens.
	// When nil, such streams wait for Session.Accept.
	Accept func(*Stream)
	// AcceptBacklog bounds the streams waiting for Accept (DefaultAcceptBacklog when 0).
	AcceptBacklog int
	// Logf, when set, gets one line per session event (start, end, protocol error).
	Logf func(format string, args ...any)
}

// Session multiplexes streams over one channel. It starts reading and writing at once;
// Close ends it, Done and Wait report its end.
type Session struct {
	conn io.ReadWriteCloser
	cfg  Config
	w    *frameWriter
	dec  *Decoder // used by the read loop only

	mu       sync.Mutex
	streams  map[uint32]*Stream
	nextID   uint32 // next id this side opens
	idsDone  bool   // nextID would overflow
	peerLast uint32 // last id the peer opened in this protocol session
	helloOut bool   // we sent a HELLO without "reply" and got no reply yet
	ready    bool   // a HELLO exchange completed: Open may send OPEN
	readyCh  chan struct{}
	resync   bool // Restart asked the read loop to resynchronise
	peer     Hello
	hasPeer  bool
	pings    map[uint64]chan struct{}
	pingSeq  uint64
	closed   bool
	err      error

	acceptQ      chan *Stream
	done         chan struct{}
	readerExited chan struct{}
}

// NewSession starts a session over conn: it sends HELLO (unless cfg.Passive), then discards
// input until the peer's HELLO. It panics if cfg.Role is not RoleHost or RoleGuest.
func NewSession(conn io.ReadWriteCloser, cfg Config) *Session {
	if cfg.Role != RoleHost && cfg.Role != RoleGuest {
		panic("link.NewSession: Config.Role must be RoleHost or RoleGuest")
	}
	if cfg.AcceptBacklog <= 0 {
		cfg.AcceptBacklog = DefaultAcceptBacklog
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &Session{
		conn:         conn,
		cfg:          cfg,
		w:            newFrameWriter(),
		dec:          NewDecoder(),
		streams:      map[uint32]*Stream{},
		nextID:       cfg.Role.firstID(),
		readyCh:      make(chan struct{}),
		pings:        map[uint64]chan struct{}{},
		acceptQ:      make(chan *Stream, cfg.AcceptBacklog),
		done:         make(chan struct{}),
		readerExited: make(chan struct{}),
	}
	s.dec.Resync()
	if !cfg.Passive {
		s.mu.Lock()
		s.sendHelloLocked(false)
		s.mu.Unlock()
	}
	go s.w.run(conn, func(err error) { s.shutdown(fmt.Errorf("writing to the channel: %w", err)) })
	go s.readLoop()
	return s
}

// Role is this side's role.
func (s *Session) Role() Role { return s.cfg.Role }

// Done is closed when the session has ended (channel error or Close).
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why the session ended, or nil while it runs. A channel that reached its end
// gives an error wrapping io.EOF.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Wait blocks until the session's goroutines have stopped and returns Err.
func (s *Session) Wait() error {
	<-s.readerExited
	<-s.w.exited
	return s.Err()
}

// Close ends the session: streams fail, the channel is closed. It does not wait; see Wait.
func (s *Session) Close() error {
	s.shutdown(ErrSessionClosed)
	return nil
}

// Peer returns the last HELLO the peer sent, if any.
func (s *Session) Peer() (Hello, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer, s.hasPeer
}

// WaitReady blocks until a HELLO exchange has completed, so that OPEN cannot cross a HELLO.
func (s *Session) WaitReady(ctx context.Context) error {
	for {
		s.mu.Lock()
		closed, ready, ch := s.closed, s.ready, s.readyCh
		s.mu.Unlock()
		if closed {
			return ErrSessionClosed
		}
		if ready {
			return nil
		}
		select {
		case <-ch:
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("guest link: no HELLO exchange with the peer yet: %w", ctx.Err())
		}
	}
}

// Open waits until the session is ready, then opens a stream to target (1–1024 bytes).
// The peer answers an unreachable target with RESET, which Read and Write then report.
func (s *Session) Open(ctx context.Context, target string) (*Stream, error) {
	if len(target) < 1 || len(target) > MaxTarget {
		return nil, fmt.Errorf("guest link: target of %d bytes; it must be 1 to %d bytes", len(target), MaxTarget)
	}
	for {
		if err := s.WaitReady(ctx); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrSessionClosed
		}
		if !s.ready { // a HELLO arrived in between
			s.mu.Unlock()
			continue
		}
		if s.idsDone {
			s.mu.Unlock()
			return nil, ErrIDsExhausted
		}
		id := s.nextID
		if id > math.MaxUint32-2 {
			s.idsDone = true
		} else {
			s.nextID += 2
		}
		st := newStream(s, id, target)
		if err := s.sendLocked(Frame{Type: FrameOpen, Stream: id, Payload: []byte(target)}); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.streams[id] = st
		s.mu.Unlock()
		return st, nil
	}
}

// Accept returns the next stream the peer opened (only when Config.Accept is nil).
func (s *Session) Accept() (*Stream, error) {
	for {
		select {
		case st := <-s.acceptQ:
			if st.isGone() {
				continue // dropped while waiting
			}
			return st, nil
		case <-s.done:
			return nil, ErrSessionClosed
		}
	}
}

// Ping sends PING and waits for the matching PONG, returning the round-trip time.
func (s *Session) Ping(ctx context.Context) (time.Duration, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrSessionClosed
	}
	s.pingSeq++
	seq := s.pingSeq
	ch := make(chan struct{})
	s.pings[seq] = ch
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], seq)
	err := s.sendLocked(Frame{Type: FramePing, Payload: payload[:]})
	s.mu.Unlock()
	start := time.Now()
	if err == nil {
		select {
		case <-ch:
			return time.Since(start), nil
		case <-s.done:
			err = ErrSessionClosed
		case <-ctx.Done():
			err = fmt.Errorf("guest link: no PONG: %w", ctx.Err())
		}
	}
	s.mu.Lock()
	delete(s.pings, seq)
	s.mu.Unlock()
	return 0, err
}

// Restart starts a new protocol session on the same channel: streams are dropped, HELLO is
// sent and input is discarded until the peer's HELLO.
func (s *Session) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.dropLocked(fmt.Errorf("%w: this side started a new session", ErrSessionReset))
	s.sendHelloLocked(false)
	s.resync = true
}

// sendLocked encodes f and queues it. s.mu is held so that frames keep their order
// relative to HELLO.
func (s *Session) sendLocked(f Frame) error {
	b, err := EncodeFrame(f)
	if err != nil {
		return err
	}
	return s.w.enqueue(b, nil)
}

// sendHelloLocked queues a HELLO; without reply it starts a new session from this side.
func (s *Session) sendHelloLocked(reply bool) {
	payload, err := NewHello(s.cfg.Role, s.cfg.Agent, reply).Marshal()
	if err != nil {
		s.cfg.Logf("guest link: cannot send HELLO: %v", err)
		return
	}
	_ = s.sendLocked(Frame{Type: FrameHello, Payload: payload}) // fails only when the session ends
	if !reply {
		s.helloOut = true
		s.setReadyLocked(false)
	}
}

func (s *Session) setReadyLocked(ready bool) {
	if ready == s.ready {
		return
	}
	s.ready = ready
	if ready {
		close(s.readyCh)
	} else {
		s.readyCh = make(chan struct{})
	}
}

// dropLocked fails every stream with err and resets the id counters (a new protocol session).
func (s *Session) dropLocked(err error) int {
	n := len(s.streams)
	for _, st := range s.streams {
		st.abort(err)
	}
	s.streams = map[uint32]*Stream{}
	s.nextID, s.idsDone, s.peerLast = s.cfg.Role.firstID(), false, 0
	return n
}

// forget removes a finished stream.
func (s *Session) forget(st *Stream) {
	s.mu.Lock()
	if s.streams[st.id] == st {
		delete(s.streams, st.id)
	}
	s.mu.Unlock()
}

// shutdown ends the session once: streams fail with err, the writer stops, the channel closes.
func (s *Session) shutdown(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.err = true, err
	n := s.dropLocked(fmt.Errorf("%w: %v", ErrSessionReset, err))
	s.setReadyLocked(false)
	close(s.done)
	s.mu.Unlock()
	s.w.stop(fmt.Errorf("%w: %v", ErrSessionClosed, err))
	s.conn.Close()
	s.cfg.Logf("guest link: session ended: %v (%d stream(s) dropped)", err, n)
}
