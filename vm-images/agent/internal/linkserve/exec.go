// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns the exec target: one process per stream, its stdio and exit carried as exec messages.
package linkserve

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"berth/agent/internal/link"
)

const (
	// execOutputGrace: once the process exited, a read of its output that waits this long ends the
	// output (a process it left behind may hold its stdout, stderr or terminal open).
	execOutputGrace = time.Second
	// execReadBuffer is the largest O or e message the agent sends.
	execReadBuffer = 32 * 1024
	// execStdinQueue bounds the stdin bytes held for a process that does not read them; past it the
	// agent stops reading the stream and the link's flow control holds the host back.
	execStdinQueue = 1 << 20
)

// serveExec runs the process the host's S message asks for and carries its stdio until it exits
// (X), could not start (F), or the host goes away (the process group is killed).
func (srv *Server) serveExec(st *link.Stream) {
	r := bufio.NewReaderSize(st, 64*1024)
	msg, err := readExecMsg(r)
	if err != nil {
		resetExec(st, err, "before its S message")
		return
	}
	if msg.kind != execStart {
		st.Reset(fmt.Sprintf("exec stream began with message %s; the first message must be S with the process to start", kindName(msg.kind)))
		return
	}
	var req execRequest
	if err := json.Unmarshal(msg.payload, &req); err != nil {
		st.Reset(fmt.Sprintf(`exec S message is not the JSON object {"argv":[…],"tty":…}: %v`, err))
		return
	}
	p, err := startExec(req)
	if err != nil {
		srv.logf("exec %q did not start: %v", truncate(firstArg(req.Argv), 100), err)
		out, _ := json.Marshal(map[string]string{"message": err.Error()})
		st.Write(appendExecMsg(nil, execFailure, out))
		st.CloseWrite()
		st.Close()
		return
	}
	srv.logf("exec %q started as pid %d (tty %v)", truncate(req.Argv[0], 100), p.proc.Pid, req.TTY)
	x := &execRun{st: st, p: p, stdin: newStdinQueue(), srv: srv, exited: make(chan struct{})}
	x.run(r)
}

func firstArg(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return argv[0]
}

// resetExec answers a read error with RESET: a malformed or truncated message gets its reason;
// a stream that is already gone gets nothing.
func resetExec(st *link.Stream, err error, when string) {
	var bad *execMalformed
	switch {
	case errors.As(err, &bad):
		st.Reset(bad.reason)
	case errors.Is(err, errExecTruncated):
		st.Reset(err.Error())
	case err == io.EOF:
		st.Reset("the host ended the exec stream " + when + "; send S first")
	}
}

// execRun is one running process and its stream.
type execRun struct {
	st    *link.Stream
	p     *execProc
	stdin *stdinQueue
	srv   *Server
	// exited is closed once the process exited: output reads get execOutputGrace each from then on.
	exited chan struct{}
}

func (x *execRun) run(r *bufio.Reader) {
	finished := make(chan struct{})
	go func() { // the host's CLOSE or RESET, or the session ending, kills the process group
		select {
		case <-x.st.Done():
			x.p.signal(syscall.SIGKILL)
		case <-finished:
		}
	}()
	go x.writeStdin()
	go x.readControl(r)

	var pumps sync.WaitGroup
	pump := func(f *os.File, kind byte) {
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			x.pumpOutput(f, kind)
		}()
	}
	pump(x.p.stdout, execStdout)
	if x.p.stderr != nil {
		pump(x.p.stderr, execStderr)
	}
	pumped := make(chan struct{})
	go func() { pumps.Wait(); close(pumped) }()

	ws := x.p.wait()
	close(finished)
	close(x.exited)
	for _, f := range []*os.File{x.p.stdout, x.p.stderr} {
		if f != nil {
			f.SetReadDeadline(time.Now().Add(execOutputGrace)) // a read already waiting
		}
	}
	<-pumped
	x.stdin.stop()
	x.p.closeStdio()
	info := exitInfoOf(ws)
	if info.Signal != nil {
		x.srv.logf("exec pid %d ended by %s", x.p.proc.Pid, *info.Signal)
	} else {
		x.srv.logf("exec pid %d exited with code %d", x.p.proc.Pid, info.Code)
	}
	if !isDone(x.st) {
		out, _ := json.Marshal(info)
		x.st.Write(appendExecMsg(nil, execExit, out))
	}
	x.st.CloseWrite()
	x.st.Close()
}

// pumpOutput sends what the process writes to f as messages of kind until EOF (EIO for a pty
// whose slave side is closed), until nothing comes for execOutputGrace after the process exited,
// or until the stream is gone.
func (x *execRun) pumpOutput(f *os.File, kind byte) {
	buf := make([]byte, execHeaderSize+execReadBuffer)
	for {
		select {
		case <-x.exited:
			f.SetReadDeadline(time.Now().Add(execOutputGrace))
		default:
		}
		n, err := f.Read(buf[execHeaderSize:])
		if n > 0 {
			buf[0] = kind
			binary.BigEndian.PutUint32(buf[1:execHeaderSize], uint32(n))
			if _, werr := x.st.Write(buf[:execHeaderSize+n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// readControl handles the host's messages after S until the host ends its direction or the
// stream is gone. A malformed message resets the stream, which kills the process.
func (x *execRun) readControl(r *bufio.Reader) {
	for {
		msg, err := readExecMsg(r)
		if err == io.EOF { // CLOSE_WRITE: no more input, the process runs on
			x.stdin.end()
			return
		}
		if err != nil {
			resetExec(x.st, err, "")
			return
		}
		if err := x.handle(msg); err != nil {
			x.st.Reset(err.Error())
			return
		}
	}
}

func (x *execRun) handle(msg execMsg) error {
	switch msg.kind {
	case execStart:
		return malformed("exec message S came twice; a stream runs one process: open another exec stream for the next")
	case execStdin:
		if !x.stdin.put(msg.payload) {
			return malformed("exec message I after E; stdin was already closed")
		}
	case execEOF:
		x.stdin.end()
	case execResize:
		if x.p.pty != nil {
			rows, cols := binary.BigEndian.Uint16(msg.payload), binary.BigEndian.Uint16(msg.payload[2:])
			if err := x.p.pty.resize(rows, cols); err != nil {
				x.srv.logf("exec pid %d: %v", x.p.proc.Pid, err)
			}
		}
	case execKill:
		sig := syscall.Signal(msg.payload[0])
		if sig < 1 || sig > 64 {
			return malformed("exec message K names signal %d; send a Linux signal number from 1 to 64 (2 SIGINT, 15 SIGTERM, 9 SIGKILL)", sig)
		}
		if err := x.p.signal(sig); err != nil {
			x.srv.logf("exec pid %d: sending %s: %v", x.p.proc.Pid, signalName(sig), err)
		}
	}
	return nil
}

// writeStdin feeds the queued stdin to the process. At E it closes the stdin pipe; with a tty it
// only stops, because the pty master is also the process's output and its terminal: closing it
// would hang up the session. (A tty program that wants EOF gets it from a ^D in I, as typed.)
func (x *execRun) writeStdin() {
	for {
		chunk, eof := x.stdin.take()
		if chunk == nil {
			if eof && x.p.pty == nil {
				x.p.stdin.Close()
			}
			return
		}
		if _, err := x.p.stdin.Write(chunk); err != nil {
			x.stdin.stop() // the process closed its stdin or exited: drop what else comes
			return
		}
	}
}

// stdinQueue holds stdin bytes between the stream and the process, up to execStdinQueue bytes.
type stdinQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	chunks  [][]byte
	size    int
	eof     bool // E arrived: finish after the queued bytes
	stopped bool // the process is gone or stopped reading: drop everything
}

func newStdinQueue() *stdinQueue {
	q := &stdinQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// put queues b, waiting while the queue is full; false if E already came.
func (q *stdinQueue) put(b []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.eof {
		return false
	}
	for q.size >= execStdinQueue && !q.stopped {
		q.cond.Wait()
	}
	if !q.stopped && len(b) > 0 {
		q.chunks = append(q.chunks, b)
		q.size += len(b)
		q.cond.Broadcast()
	}
	return true
}

func (q *stdinQueue) end() {
	q.mu.Lock()
	q.eof = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *stdinQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.chunks, q.size = nil, 0
	q.cond.Broadcast()
	q.mu.Unlock()
}

// take waits for the next chunk; nil when the queue is done (eof tells whether E ended it).
func (q *stdinQueue) take() (chunk []byte, eof bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.chunks) == 0 && !q.eof && !q.stopped {
		q.cond.Wait()
	}
	if q.stopped {
		return nil, false
	}
	if len(q.chunks) == 0 {
		return nil, true
	}
	chunk = q.chunks[0]
	q.chunks[0] = nil
	q.chunks = q.chunks[1:]
	q.size -= len(chunk)
	q.cond.Broadcast()
	return chunk, false
}
