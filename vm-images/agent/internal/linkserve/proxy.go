// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns proxying a stream to a local connection with half-close carried both ways.
package linkserve

import (
	"errors"
	"io"
	"net"
	"sync"

	"berth/agent/internal/link"
)

// proxyBuffer is one DATA frame's worth (MaxPayload): a read from the local side becomes one frame.
const proxyBuffer = link.MaxPayload

// relayBuffers keeps proxy buffers between streams: every Docker API request is a stream of its own,
// and two fresh 64 KiB buffers each would be 128 KiB to zero and collect per request.
var relayBuffers = sync.Pool{New: func() any { b := make([]byte, proxyBuffer); return &b }}

// closeWriter is a connection with a write side that can be shut down alone (unix and TCP).
type closeWriter interface {
	CloseWrite() error
}

// proxy copies both ways between st and c. The end of one direction is passed on as a
// half-close: the host's CLOSE_WRITE becomes c.CloseWrite(), and EOF from c becomes
// CLOSE_WRITE, so `echo hi | docker run -i img cat` still gets its answer. When both
// directions are done the stream gets CLOSE. A local error other than EOF resets the stream
// with the error text; a stream that is reset or closed by the host closes c.
func proxy(st *link.Stream, c net.Conn) {
	toLocal := make(chan struct{})
	go func() {
		defer close(toLocal)
		if err := copyStreamToLocal(c, st); err != nil {
			st.Reset(err.Error())
		}
	}()
	go func() {
		<-st.Done() // host CLOSE or RESET, session reset, or our own Close below
		<-toLocal   // first deliver what the host sent before its CLOSE
		c.Close()   // unblocks the read below
	}()

	bp := relayBuffers.Get().(*[]byte)
	defer relayBuffers.Put(bp)
	buf := *bp
	for {
		n, rerr := c.Read(buf)
		if n > 0 {
			if _, werr := st.Write(buf[:n]); werr != nil {
				break // the stream is gone; the watcher closes c
			}
		}
		if rerr == io.EOF {
			st.CloseWrite()
			break
		}
		if rerr != nil {
			if !isDone(st) {
				st.Reset(rerr.Error())
			}
			break
		}
	}
	<-toLocal
	st.Close()
	c.Close()
}

// copyStreamToLocal writes the host's data to c and half-closes c at the host's CLOSE_WRITE.
// It returns only local write errors; stream errors end the copy quietly (the stream is gone).
func copyStreamToLocal(c net.Conn, st *link.Stream) error {
	bp := relayBuffers.Get().(*[]byte)
	defer relayBuffers.Put(bp)
	buf := *bp
	for {
		n, rerr := st.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				if isDone(st) || errors.Is(werr, net.ErrClosed) {
					return nil
				}
				return werr
			}
		}
		if rerr == io.EOF {
			if cw, ok := c.(closeWriter); ok {
				cw.CloseWrite()
			}
			return nil
		}
		if rerr != nil {
			return nil
		}
	}
}

func isDone(st *link.Stream) bool {
	select {
	case <-st.Done():
		return true
	default:
		return false
	}
}
