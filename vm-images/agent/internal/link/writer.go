// Package link implements the guest link of docs/protocol.md: many flow-controlled streams over one byte channel.
// This file owns the single frame writer: a FIFO of encoded frames written in batches by one goroutine.
package link

import (
	"io"
	"sync"
)

// maxBatch bounds how many queued bytes go into one Write call.
const maxBatch = 256 * 1024

// queuedFrame is an encoded frame, or an encoded header and the payload it announces (borrowed from
// the caller, who waits on done before touching it again); done (optional) gets the outcome once the
// frame reached the channel, or the writer's error if it never will.
type queuedFrame struct {
	b       []byte
	payload []byte
	done    chan error
}

func (q queuedFrame) size() int { return len(q.b) + len(q.payload) }

// frameWriter serialises every frame of a session so frames never interleave on the channel.
// Enqueueing never blocks, so the link reader can queue WINDOW, PONG and HELLO at any time;
// stream writers wait for their DATA to be written, which bounds the queue to one DATA frame
// per stream plus small control frames.
type frameWriter struct {
	mu     sync.Mutex
	queue  []queuedFrame
	wake   chan struct{} // capacity 1
	err    error         // set once; later frames fail at once
	exited chan struct{}
}

func newFrameWriter() *frameWriter {
	return &frameWriter{wake: make(chan struct{}, 1), exited: make(chan struct{})}
}

// enqueue adds an encoded frame. It returns the writer's error if the writer has stopped.
func (w *frameWriter) enqueue(b []byte, done chan error) error {
	return w.enqueueParts(b, nil, done)
}

// enqueueParts adds a frame as its encoded header and a payload the writer copies straight into its
// batch: one copy of the bytes instead of two. The caller must wait on done (non-nil whenever
// payload is) before reusing payload; the writer no longer refers to it once done receives.
func (w *frameWriter) enqueueParts(b, payload []byte, done chan error) error {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.queue = append(w.queue, queuedFrame{b: b, payload: payload, done: done})
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// stop makes the writer fail pending and later frames with err and exit after its current Write.
func (w *frameWriter) stop(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	pending := w.queue
	w.queue = nil
	w.mu.Unlock()
	for _, q := range pending {
		if q.done != nil {
			q.done <- err
		}
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run writes queued frames to out until stop is called or a Write fails; onFail gets the write error.
func (w *frameWriter) run(out io.Writer, onFail func(error)) {
	defer close(w.exited)
	batch := make([]byte, 0, maxBatch)
	var dones []chan error
	for range w.wake {
		for {
			w.mu.Lock()
			if w.err != nil {
				w.mu.Unlock()
				return
			}
			batch, dones = batch[:0], dones[:0]
			n := 0
			for n < len(w.queue) && (n == 0 || len(batch)+w.queue[n].size() <= maxBatch) {
				batch = append(batch, w.queue[n].b...)
				batch = append(batch, w.queue[n].payload...)
				if d := w.queue[n].done; d != nil {
					dones = append(dones, d)
				}
				w.queue[n] = queuedFrame{}
				n++
			}
			w.queue = w.queue[n:]
			if len(w.queue) == 0 {
				w.queue = nil // let the backing array go
			}
			w.mu.Unlock()
			if n == 0 {
				break
			}
			_, err := out.Write(batch)
			for _, d := range dones {
				d <- err
			}
			if err != nil {
				w.stop(err)
				onFail(err)
				return
			}
		}
	}
}
