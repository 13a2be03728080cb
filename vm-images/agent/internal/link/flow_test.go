// Flow-control tests: 32 concurrent 4 MiB echo streams with checksums, a stalled reader that must
// not hold up another stream or the link, and the receiver's buffer bound of one window per stream.
package link

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"sync"
	"testing"
	"time"
)

func TestConcurrentStreamsWithChecksums(t *testing.T) {
	const streams, size = 32, 4 << 20
	host, _ := pair(t, echo)
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- echoRoundTrip(host, i, size)
		}(i)
	}
	if err := within(t, "32 streams of 4 MiB", func() error { wg.Wait(); return nil }); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// echoRoundTrip sends size random bytes on a new stream in uneven writes and checks the echo.
func echoRoundTrip(host *Session, seed, size int) error {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	st, err := host.Open(ctx, fmt.Sprintf("echo-%d", seed))
	if err != nil {
		return err
	}
	defer st.Close()
	rng := rand.New(rand.NewSource(int64(seed)))
	data := make([]byte, size)
	rng.Read(data)
	sent := sha256.Sum256(data)
	go func() {
		for rest := data; len(rest) > 0; {
			n := 1 + rng.Intn(200000)
			if n > len(rest) {
				n = len(rest)
			}
			if _, err := st.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		st.CloseWrite()
	}()
	h := sha256.New()
	n, err := io.Copy(h, st)
	if err != nil {
		return fmt.Errorf("stream %d: reading the echo after %d bytes: %w", st.ID(), n, err)
	}
	if n != int64(size) || string(h.Sum(nil)) != string(sent[:]) {
		return fmt.Errorf("stream %d: echo of %d bytes differs from the %d sent", st.ID(), n, size)
	}
	return nil
}

func TestStalledReaderDoesNotBlockOtherStreams(t *testing.T) {
	stalled := make(chan *Stream, 1)
	host, guest := pair(t, func(st *Stream) {
		if st.Target() == "stalled" {
			stalled <- st // never read
			return
		}
		echo(st)
	})
	slow, _ := host.Open(testCtx(t), "stalled")
	slow.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
	n, err := slow.Write(make([]byte, 4*InitialWindow))
	if !errors.Is(err, os.ErrDeadlineExceeded) || n != InitialWindow {
		t.Fatalf("write to a stream nobody reads: %d bytes, %v; want exactly %d then a timeout", n, err, InitialWindow)
	}
	gs := <-stalled

	// the receiver buffers exactly one window for the stalled stream, no more
	gs.mu.Lock()
	buffered := gs.recvLen
	gs.mu.Unlock()
	if buffered != InitialWindow {
		t.Fatalf("guest buffers %d bytes for the stalled stream, want %d", buffered, InitialWindow)
	}

	// keep the stalled writer blocked while another stream moves 8 MiB and PINGs are answered
	slow.SetWriteDeadline(time.Time{})
	blocked := make(chan error, 1)
	go func() { _, err := slow.Write(make([]byte, 1)); blocked <- err }()
	if err := echoRoundTrip(host, 99, 8<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := guest.Ping(testCtx(t)); err != nil {
		t.Fatalf("link blocked by a stalled stream: %v", err)
	}
	select {
	case err := <-blocked:
		t.Fatalf("write to the stalled stream returned (%v) without window", err)
	default:
	}

	// reading half a window there returns window and unblocks the writer
	if _, err := io.ReadFull(gs, make([]byte, InitialWindow/2)); err != nil {
		t.Fatal(err)
	}
	if err := within(t, "the stalled write", func() error { return <-blocked }); err != nil {
		t.Fatalf("write after the reader caught up: %v", err)
	}
	gs.mu.Lock()
	buffered = gs.recvLen
	gs.mu.Unlock()
	if buffered > InitialWindow {
		t.Fatalf("guest buffers %d bytes, more than a window", buffered)
	}
}
