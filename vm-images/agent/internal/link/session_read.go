// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the read loop: decoding, HELLO/PING/OPEN handling, dispatch to streams, protocol errors.
package link

import (
	"encoding/binary"
	"fmt"
)

// readChunk is how much the read loop asks the channel for at a time.
const readChunk = 64 * 1024

func (s *Session) readLoop() {
	defer close(s.readerExited)
	for {
		n, err := s.dec.ReadOnce(s.conn, readChunk)
		if n > 0 {
			s.drain()
		}
		if err != nil {
			s.shutdown(fmt.Errorf("reading the channel: %w", err))
			return
		}
		select {
		case <-s.done:
			return
		default:
		}
	}
}

// drain handles every complete frame the decoder holds.
func (s *Session) drain() {
	for {
		s.mu.Lock()
		resync := s.resync
		s.resync = false
		s.mu.Unlock()
		if resync {
			s.dec.Resync()
		}
		f, ok, err := s.dec.Next()
		if err == nil && ok {
			err = s.handle(f)
		}
		if err != nil {
			s.protocolError(err)
			continue
		}
		if !ok {
			return
		}
	}
}

// protocolError ends the protocol session: drop streams, start a new session with HELLO, resync.
func (s *Session) protocolError(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	n := s.dropLocked(fmt.Errorf("%w: %v", ErrSessionReset, err))
	s.sendHelloLocked(false)
	s.mu.Unlock()
	s.dec.Resync()
	s.cfg.Logf("guest link: session ended: %v (%d stream(s) dropped); sent HELLO, resynchronising", err, n)
}

func (s *Session) handle(f Frame) error {
	switch f.Type {
	case FrameHello:
		return s.onHello(f.Payload)
	case FramePing:
		s.mu.Lock()
		_ = s.sendLocked(Frame{Type: FramePong, Payload: f.Payload}) // fails only when the session ends
		s.mu.Unlock()
		return nil
	case FramePong:
		s.onPong(f.Payload)
		return nil
	case FrameOpen:
		return s.onOpen(f.Stream, string(f.Payload))
	}
	s.mu.Lock()
	st := s.streams[f.Stream]
	s.mu.Unlock()
	if st == nil {
		return nil // unknown or freed id: the frame crossed a CLOSE or RESET
	}
	switch f.Type {
	case FrameData:
		return st.onData(f.Payload)
	case FrameWindow:
		return st.onWindow(binary.BigEndian.Uint32(f.Payload))
	case FrameCloseWrite:
		st.onCloseWrite()
	case FrameClose:
		st.onClose()
		s.forget(st)
	case FrameReset:
		st.onReset(string(f.Payload))
		s.forget(st)
	}
	return nil
}

func (s *Session) onHello(payload []byte) error {
	h, err := ParseHello(payload)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	wasReady := s.ready
	n := s.dropLocked(fmt.Errorf("%w: the %s started a new session (HELLO)", ErrSessionReset, s.peerRole()))
	s.peer, s.hasPeer = h, true
	if h.Reply {
		s.helloOut = false
		s.setReadyLocked(true)
	} else {
		s.sendHelloLocked(true)
		if !s.helloOut {
			s.setReadyLocked(true)
		}
	}
	ready := s.ready
	s.mu.Unlock()
	if n > 0 || wasReady {
		s.cfg.Logf("guest link: the %s started a new session; %d stream(s) dropped", s.peerRole(), n)
	}
	if ready && !wasReady {
		s.cfg.Logf("guest link: session started with the %s (agent %q, protocol version %d)", s.peerRole(), h.Agent, h.Version)
	}
	if h.Role != s.peerRole().String() {
		s.cfg.Logf("guest link: warning: peer HELLO says role %q; this side is the %s", h.Role, s.cfg.Role)
	}
	return nil
}

func (s *Session) peerRole() Role {
	if s.cfg.Role == RoleHost {
		return RoleGuest
	}
	return RoleHost
}

func (s *Session) onPong(payload []byte) {
	seq := binary.BigEndian.Uint64(payload)
	s.mu.Lock()
	if ch, ok := s.pings[seq]; ok {
		close(ch)
		delete(s.pings, seq)
	}
	s.mu.Unlock()
}

func (s *Session) onOpen(id uint32, target string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if id%2 != s.peerRole().firstID()%2 {
		s.mu.Unlock()
		return protoErr(CodeBadOpen, "OPEN of stream %d: the %s opens %s ids", id, s.peerRole(), map[bool]string{true: "odd", false: "even"}[s.peerRole() == RoleHost])
	}
	if id <= s.peerLast {
		last := s.peerLast
		s.mu.Unlock()
		return protoErr(CodeBadOpen, "OPEN of stream %d after stream %d: ids must increase within a session", id, last)
	}
	s.peerLast = id
	st := newStream(s, id, target)
	s.streams[id] = st
	s.mu.Unlock()

	if s.cfg.Accept != nil {
		go s.cfg.Accept(st)
		return nil
	}
	select {
	case s.acceptQ <- st:
	default:
		_ = st.Reset(fmt.Sprintf("the %s is not accepting streams (%d already waiting)", s.cfg.Role, cap(s.acceptQ)))
	}
	return nil
}
