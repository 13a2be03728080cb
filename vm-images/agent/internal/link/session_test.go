// Host-session ↔ guest-session tests over net.Pipe: open and echo, half-close, CLOSE, RESET reasons,
// PING, deadlines, HELLO mid-session, and the end of the channel.
package link

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// echo copies a stream back to itself and half-closes when the peer did.
func echo(st *Stream) {
	io.Copy(st, st)
	st.CloseWrite()
	<-st.Done()
	st.Close()
}

func TestOpenEcho(t *testing.T) {
	targets := make(chan string, 1)
	host, _ := pair(t, func(st *Stream) { targets <- st.Target(); echo(st) })
	st, err := host.Open(testCtx(t), "tcp:8080")
	if err != nil {
		t.Fatal(err)
	}
	if st.ID() != 1 {
		t.Fatalf("first host stream id %d, want 1", st.ID())
	}
	if got := <-targets; got != "tcp:8080" {
		t.Fatalf("guest saw target %q", got)
	}
	if _, err := st.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(st, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo gave %q, %v", buf, err)
	}
	st2, _ := host.Open(testCtx(t), "docker")
	if st2.ID() != 3 {
		t.Fatalf("second host stream id %d, want 3", st2.ID())
	}
	st.Close()
	st2.Close()
}

func TestHalfClose(t *testing.T) {
	host, _ := pair(t, func(st *Stream) {
		data, err := io.ReadAll(st) // ends at the host's CLOSE_WRITE
		if err != nil {
			st.Reset(err.Error())
			return
		}
		st.Write([]byte("got:" + string(data))) // writing still works after the peer's half-close
		st.CloseWrite()
		<-st.Done()
		st.Close()
	})
	st, err := host.Open(testCtx(t), "docker")
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("hi"))
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("more")); !errors.Is(err, ErrWriteClosed) {
		t.Fatalf("write after CloseWrite: %v, want ErrWriteClosed", err)
	}
	var got []byte
	err = within(t, "reading the answer", func() (err error) { got, err = io.ReadAll(st); return err })
	if err != nil || string(got) != "got:hi" {
		t.Fatalf("answer %q, %v; want \"got:hi\" then EOF", got, err)
	}
	if _, err := st.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after EOF: %v", err)
	}
	st.Close()
}

func TestPeerCloseDeliversBufferedDataThenEOF(t *testing.T) {
	host, _ := pair(t, func(st *Stream) {
		st.Write([]byte("bye"))
		st.Close()
	})
	st, _ := host.Open(testCtx(t), "x")
	<-st.Done()
	got, err := io.ReadAll(st)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read %q, %v; want \"bye\" then EOF", got, err)
	}
	if _, err := st.Write([]byte("x")); !errors.Is(err, ErrClosedByPeer) {
		t.Fatalf("write after peer CLOSE: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
}

func TestResetReasons(t *testing.T) {
	reasons := make(chan error, 1)
	host, _ := pair(t, func(st *Stream) {
		if st.Target() == "nowhere" {
			st.Reset("dial /var/run/docker.sock: connection refused")
			return
		}
		_, err := io.ReadAll(st)
		reasons <- err
	})
	st, _ := host.Open(testCtx(t), "nowhere")
	_, err := st.Read(make([]byte, 1))
	if !isReset(err, "dial /var/run/docker.sock: connection refused") {
		t.Fatalf("read error %v, want the RESET reason", err)
	}
	if _, err := st.Write([]byte("x")); !isReset(err, "dial /var/run/docker.sock: connection refused") {
		t.Fatalf("write error %v, want the RESET reason", err)
	}

	st2, _ := host.Open(testCtx(t), "reader")
	st2.Write([]byte("partial"))
	st2.Reset(strings.Repeat("é", 600)) // 1200 bytes: cut to 1024 without splitting a rune
	err = <-reasons
	var re *ResetError
	if !errors.As(err, &re) || re.Reason != strings.Repeat("é", 512) {
		t.Fatalf("guest reader got %v, want a ResetError with 512 é", err)
	}
}

func TestPing(t *testing.T) {
	host, guest := pair(t, nil)
	for _, s := range []*Session{host, guest} {
		if _, err := s.Ping(testCtx(t)); err != nil {
			t.Fatalf("%s ping: %v", s.Role(), err)
		}
	}
}

func TestReadDeadline(t *testing.T) {
	host, _ := pair(t, func(st *Stream) { <-st.Done() })
	st, _ := host.Open(testCtx(t), "idle")
	st.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err := st.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("read with deadline: %v after %v", err, time.Since(start))
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("deadline error %v is not a net.Error timeout", err)
	}
	st.Close()
}

func TestHelloMidSessionDropsStreams(t *testing.T) {
	guestStreams := make(chan *Stream, 4)
	host, guest := pair(t, func(st *Stream) { guestStreams <- st })
	hs, _ := host.Open(testCtx(t), "docker")
	hs.Write([]byte("x"))
	gs := <-guestStreams

	host.Restart() // the host starts a new session: HELLO
	if _, err := hs.Read(make([]byte, 1)); !errors.Is(err, ErrSessionReset) {
		t.Fatalf("host stream after its own HELLO: %v", err)
	}
	err := within(t, "guest read", func() error { _, err := io.ReadAll(gs); return err })
	if !errors.Is(err, ErrSessionReset) || !strings.Contains(err.Error(), "HELLO") {
		t.Fatalf("guest stream after the host's HELLO: %v", err)
	}
	if err := host.WaitReady(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	hs2, err := host.Open(testCtx(t), "docker")
	if err != nil || hs2.ID() != 1 {
		t.Fatalf("first stream of the new session: id %v, %v; want 1", hs2, err)
	}
	if (<-guestStreams).ID() != 1 {
		t.Fatal("guest did not accept stream 1 again")
	}
	if p, ok := guest.Peer(); !ok || p.Agent != "test-host" || p.Role != "host" {
		t.Fatalf("guest's view of the host: %+v %v", p, ok)
	}
}

func TestChannelEndFailsStreams(t *testing.T) {
	hc, gc := net.Pipe()
	host := NewSession(hc, Config{Role: RoleHost})
	guest := NewSession(gc, Config{Role: RoleGuest, Accept: func(st *Stream) {}})
	defer guest.Close()
	st, err := host.Open(testCtx(t), "docker")
	if err != nil {
		t.Fatal(err)
	}
	gc.Close() // the guest's end of the channel goes away
	if err := within(t, "host session end", host.Wait); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("host session ended with %v", err)
	}
	if _, err := st.Read(make([]byte, 1)); !errors.Is(err, ErrSessionReset) {
		t.Fatalf("stream read after the channel ended: %v", err)
	}
	if _, err := host.Open(testCtx(t), "docker"); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("open after the end: %v", err)
	}
	if _, err := host.Ping(testCtx(t)); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("ping after the end: %v", err)
	}
}

func TestAcceptQueue(t *testing.T) {
	host, guest := pair(t, nil)
	hs, _ := host.Open(testCtx(t), "rpc")
	gs, err := guest.Accept()
	if err != nil || gs.Target() != "rpc" || gs.ID() != hs.ID() {
		t.Fatalf("accept: %v %v", gs, err)
	}
	hs.Write([]byte("ping\n"))
	buf := make([]byte, 5)
	io.ReadFull(gs, buf)
	if !bytes.Equal(buf, []byte("ping\n")) {
		t.Fatalf("accepted stream read %q", buf)
	}
	// a guest-opened stream uses even ids
	go func() {
		st, err := host.Accept()
		if err == nil {
			echo(st)
		}
	}()
	gst, err := guest.Open(testCtx(t), "host-thing")
	if err != nil || gst.ID() != 2 {
		t.Fatalf("guest open: %v %v", gst, err)
	}
}
