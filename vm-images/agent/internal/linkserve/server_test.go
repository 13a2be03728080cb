// End-to-end tests of serving the guest link on a unix socket: docker and tcp targets with half-close,
// dial failures and bad targets as RESET reasons, host CLOSE, a new connection replacing a session, and
// pooled relay buffers keeping concurrent streams apart.
package linkserve

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/agent/internal/link"
)

func TestDockerHalfCloseRoundTrip(t *testing.T) {
	dir := shortTempDir(t)
	dockerSock, _ := fakeDocker(t, dir)
	host := startServer(t, &Server{Version: "test", DockerSocket: dockerSock}).connectHost(t)

	st := open(t, host, "docker")
	st.Write([]byte("hi"))
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(st)
	want := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhi"
	if err != nil || string(got) != want {
		t.Fatalf("docker answer %q, %v; want %q then EOF", got, err, want)
	}
}

func TestTCPHalfCloseRoundTrip(t *testing.T) {
	port := tcpEcho(t)
	host := startServer(t, &Server{Version: "test"}).connectHost(t)
	st := open(t, host, "tcp:"+strconv.Itoa(port))
	payload := strings.Repeat("0123456789", 100000) // 1 MB: more than a window
	go func() {
		st.Write([]byte(payload))
		st.CloseWrite()
	}()
	got, err := io.ReadAll(st)
	if err != nil || string(got) != payload {
		t.Fatalf("tcp echo of %d bytes gave %d bytes, %v", len(payload), len(got), err)
	}
	select {
	case <-st.Done(): // the agent sends CLOSE once both directions are done
	case <-time.After(testTimeout):
		t.Fatal("agent did not CLOSE the finished stream")
	}
}

func TestDialFailuresAndBadTargetsReset(t *testing.T) {
	dir := shortTempDir(t)
	missing := filepath.Join(dir, "no-docker.sock")
	host := startServer(t, &Server{Version: "test", DockerSocket: missing}).connectHost(t)
	cases := []struct{ target, reason string }{
		{"docker", "dial unix " + missing + ": connect: no such file or directory"},
		{"tcp:0", `bad tcp target port "0"`},
		{"tcp:65536", `bad tcp target port "65536"`},
		{"tcp:+80", `bad tcp target port "+80"`},
		{"tcp:", `bad tcp target port ""`},
		{"ssh", `unknown target "ssh"`},
	}
	for _, c := range cases {
		st := open(t, host, c.target)
		_, err := st.Read(make([]byte, 1))
		var re *link.ResetError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, c.reason) {
			t.Errorf("%s: %v; want a RESET containing %q", c.target, err, c.reason)
		}
	}
}

func TestTCPDialRefusedReset(t *testing.T) {
	host := startServer(t, &Server{Version: "test"}).connectHost(t)
	port := freePort(t)
	st := open(t, host, "tcp:"+strconv.Itoa(port))
	_, err := st.Read(make([]byte, 1))
	var re *link.ResetError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "dial tcp 127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(re.Reason, "refused") {
		t.Fatalf("tcp to a closed port: %v", err)
	}
}

func TestHostCloseClosesLocalConnection(t *testing.T) {
	dir := shortTempDir(t)
	dockerSock, closed := fakeDocker(t, dir)
	host := startServer(t, &Server{Version: "test", DockerSocket: dockerSock}).connectHost(t)
	st := open(t, host, "docker")
	st.Write([]byte("GET /events HTTP/1.1\r\n\r\n"))
	time.Sleep(20 * time.Millisecond)
	st.Close() // CLOSE without CLOSE_WRITE: the agent must close its docker connection
	select {
	case <-closed:
	case <-time.After(testTimeout):
		t.Fatal("docker connection still open after the host's CLOSE")
	}
}

func TestNewConnectionReplacesSession(t *testing.T) {
	port := tcpEcho(t)
	s := startServer(t, &Server{Version: "test"})
	first := s.connectHost(t)
	old := open(t, first, "tcp:"+strconv.Itoa(port))
	second := s.connectHost(t)
	if _, err := old.Read(make([]byte, 1)); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("stream of the replaced session: %v; want it dropped", err)
	}
	st := open(t, second, "tcp:"+strconv.Itoa(port))
	st.Write([]byte("again"))
	st.CloseWrite()
	if got, err := io.ReadAll(st); err != nil || string(got) != "again" {
		t.Fatalf("new session echo %q, %v", got, err)
	}
}

// Relay buffers go back to a pool when a stream ends and serve the next one: many streams at once, in
// rounds so that buffers are reused, each with its own bytes, must each get exactly their own echo.
func TestPooledRelayBuffersKeepStreamsApart(t *testing.T) {
	port := tcpEcho(t)
	host := startServer(t, &Server{Version: "test"}).connectHost(t)
	for round := 0; round < 3; round++ {
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			go func(i int) {
				st := open(t, host, "tcp:"+strconv.Itoa(port))
				payload := strings.Repeat(fmt.Sprintf("round %d stream %02d|", round, i), 12000) // ~250 KB: several frames
				go func() {
					st.Write([]byte(payload))
					st.CloseWrite()
				}()
				got, err := io.ReadAll(st)
				if err == nil && string(got) != payload {
					err = fmt.Errorf("stream %d of round %d: %d bytes back, not its own %d", i, round, len(got), len(payload))
				}
				errs <- err
			}(i)
		}
		for i := 0; i < 16; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}
