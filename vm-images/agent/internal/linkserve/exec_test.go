// Tests of the exec target with real processes on this Linux machine: exit codes, stdout/stderr,
// stdin and E, a pty with its size and R, K signals, killing on CLOSE, F for bad requests, RESET for bad messages.
package linkserve

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/agent/internal/link"
)

// execClient is the host's side of one exec stream.
type execClient struct {
	t  *testing.T
	st *link.Stream
	rd *bufio.Reader
}

// execResult is everything the guest sent until the end of the stream.
type execResult struct {
	stdout, stderr string
	exit           *exitInfo
	failure        string
	err            error // how reading ended other than EOF (a RESET)
	kinds          string
}

func startExecStream(t *testing.T, host *link.Session, req any) *execClient {
	t.Helper()
	c := &execClient{t: t, st: open(t, host, "exec")}
	c.rd = bufio.NewReader(c.st)
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	c.send(execStart, b)
	return c
}

func (c *execClient) send(kind byte, payload []byte) {
	c.t.Helper()
	if _, err := c.st.Write(appendExecMsg(nil, kind, payload)); err != nil {
		c.t.Fatalf("sending exec message %c: %v", kind, err)
	}
}

// next reads one guest message.
func (c *execClient) next() (execMsg, error) {
	var hdr [execHeaderSize]byte
	if _, err := io.ReadFull(c.rd, hdr[:]); err != nil {
		return execMsg{}, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > execMaxPayload {
		c.t.Fatalf("guest sent a message of %d bytes", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.rd, p); err != nil {
		return execMsg{}, err
	}
	return execMsg{kind: hdr[0], payload: p}, nil
}

// readUntil reads messages until stdout contains want; it returns the stdout so far.
func (c *execClient) readUntil(want string) string {
	c.t.Helper()
	var out strings.Builder
	for !strings.Contains(out.String(), want) {
		m, err := c.next()
		if err != nil {
			c.t.Fatalf("waiting for %q in %q: %v", want, out.String(), err)
		}
		if m.kind == execStdout {
			out.Write(m.payload)
		}
	}
	return out.String()
}

// finish reads to the end of the stream.
func (c *execClient) finish() execResult {
	c.t.Helper()
	var r execResult
	var out, errOut strings.Builder
	for {
		m, err := c.next()
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			break
		}
		r.kinds += string(m.kind)
		switch m.kind {
		case execStdout:
			out.Write(m.payload)
		case execStderr:
			errOut.Write(m.payload)
		case execExit:
			r.exit = &exitInfo{}
			if err := json.Unmarshal(m.payload, r.exit); err != nil {
				c.t.Fatalf("X payload %q: %v", m.payload, err)
			}
		case execFailure:
			var f struct{ Message string }
			json.Unmarshal(m.payload, &f)
			r.failure = f.Message
		default:
			c.t.Fatalf("guest sent message kind %q", m.kind)
		}
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

func execHost(t *testing.T) *link.Session {
	t.Helper()
	return serveAndConnect(t, &Server{Version: "test"})
}

// serveAndConnect serves srv and connects a host session to it. It first waits until the socket
// accepts: the socket file appears at bind(2), a moment before listen(2).
func serveAndConnect(t *testing.T, srv *Server) *link.Session {
	t.Helper()
	s := startServer(t, srv)
	deadline := time.Now().Add(testTimeout)
	for {
		c, err := net.Dial("unix", s.sockPath)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server does not accept on %s: %v", s.sockPath, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return s.connectHost(t)
}

func TestExecOutputAndExitCode(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"/bin/sh", "-c", "echo hi; exit 3"}})
	r := c.finish()
	if r.stdout != "hi\n" || r.exit == nil || r.exit.Code != 3 || r.exit.Signal != nil || r.err != nil {
		t.Fatalf("got %+v; want stdout \"hi\\n\" and exit code 3", r)
	}
	if !strings.HasSuffix(r.kinds, "X") {
		t.Fatalf("message kinds %q: X must come last", r.kinds)
	}
}

func TestExecStderrIsSeparate(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"sh", "-c", "echo out; echo err >&2"}})
	r := c.finish()
	if r.stdout != "out\n" || r.stderr != "err\n" || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %+v; want out on O, err on e, exit 0", r)
	}
}

func TestExecEnvAndCwd(t *testing.T) {
	dir := t.TempDir()
	c := startExecStream(t, execHost(t), execRequest{
		Argv: []string{"sh", "-c", `echo "$HOME $FOO $PATH"; pwd`},
		Env:  []string{"FOO=bar", "HOME=/elsewhere"},
		Cwd:  dir,
	})
	r := c.finish()
	want := "/elsewhere bar " + execPath + "\n" + dir + "\n"
	if r.stdout != want || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %+v; want stdout %q", r, want)
	}
}

func TestExecStdinToCat(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"cat"}})
	c.send(execStdin, []byte("hello "))
	c.send(execStdin, []byte("cat\n"))
	c.send(execEOF, nil)
	r := c.finish()
	if r.stdout != "hello cat\n" || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %+v; want the input echoed and exit 0", r)
	}
}

func TestExecCloseWriteEndsStdin(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"cat"}})
	c.send(execStdin, []byte("half"))
	c.st.CloseWrite()
	r := c.finish()
	if r.stdout != "half" || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %+v; want the input echoed and exit 0 after CLOSE_WRITE", r)
	}
}

func TestExecLargeOutputAndInput(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"cat"}})
	data := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB: several windows each way
	go func() {
		for i := 0; i < len(data); i += 60000 {
			end := i + 60000
			if end > len(data) {
				end = len(data)
			}
			c.st.Write(appendExecMsg(nil, execStdin, []byte(data[i:end])))
		}
		c.st.Write(appendExecMsg(nil, execEOF, nil))
	}()
	r := c.finish()
	if r.stdout != data || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %d bytes back, exit %+v, err %v; want %d bytes and exit 0", len(r.stdout), r.exit, r.err, len(data))
	}
}

func TestExecTTYSize(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"stty", "size"}, TTY: true, Rows: 30, Cols: 100})
	r := c.finish()
	if r.stdout != "30 100\r\n" || r.exit == nil || r.exit.Code != 0 || strings.Contains(r.kinds, "e") {
		t.Fatalf("got %+v; want \"30 100\\r\\n\" on O only", r)
	}
}

func TestExecTTYEnvAndSession(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"sh", "-c", `echo "$TERM"; tty; test -t 0 && echo stdin-is-tty`}, TTY: true})
	r := c.finish()
	if !strings.HasPrefix(r.stdout, "xterm-256color\r\n/dev/pts/") || !strings.Contains(r.stdout, "stdin-is-tty") {
		t.Fatalf("got %+v; want TERM=xterm-256color and a pts", r)
	}
}

func TestExecTTYResize(t *testing.T) {
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"sh", "-c", "read x; stty size"}, TTY: true, Rows: 24, Cols: 80})
	c.send(execResize, []byte{0, 40, 0, 120})
	c.send(execStdin, []byte("\n"))
	r := c.finish()
	if !strings.HasSuffix(r.stdout, "40 120\r\n") || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %+v; want \"40 120\" after the resize", r)
	}
}

func TestExecKillSignal(t *testing.T) {
	host := execHost(t)
	for _, tty := range []bool{true, false} {
		c := startExecStream(t, host, execRequest{Argv: []string{"sh", "-c", "echo ready; exec sleep 100"}, TTY: tty})
		c.readUntil("ready")
		time.Sleep(50 * time.Millisecond) // let sh exec sleep
		c.send(execKill, []byte{2})
		r := c.finish()
		if r.exit == nil || !(r.exit.Code == 130 || (r.exit.Signal != nil && *r.exit.Signal == "SIGINT")) {
			t.Fatalf("tty %v: got %+v; want an exit by SIGINT", tty, r)
		}
		if r.exit.Signal == nil || *r.exit.Signal != "SIGINT" || r.exit.Code != 130 {
			t.Fatalf("tty %v: exit %+v; want code 130 and signal SIGINT", tty, *r.exit)
		}
	}
}

func TestExecHostCloseKillsTheProcess(t *testing.T) {
	host := execHost(t)
	for _, end := range []string{"close", "reset"} {
		for _, tty := range []bool{false, true} {
			c := startExecStream(t, host, execRequest{Argv: []string{"sh", "-c", "echo $$; exec sleep 100"}, TTY: tty})
			out := c.readUntil("\n")
			pid, err := strconv.Atoi(strings.TrimSpace(out))
			if err != nil {
				t.Fatalf("pid line %q", out)
			}
			if end == "close" {
				c.st.Close()
			} else {
				c.st.Reset("host gave up")
			}
			deadline := time.Now().Add(testTimeout)
			for {
				if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
					break // killed and reaped
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s (tty %v): process %d still there", end, tty, pid)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

func TestExecBackgroundChildDoesNotHoldTheExit(t *testing.T) {
	start := time.Now()
	c := startExecStream(t, execHost(t), execRequest{Argv: []string{"sh", "-c", "sleep 3 & echo started"}})
	r := c.finish()
	if r.stdout != "started\n" || r.exit == nil || r.exit.Code != 0 {
		t.Fatalf("got %+v; want started and exit 0", r)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("X came after %v: the output grace did not end the wait for the background child", d)
	}
}

func TestExecStartFailures(t *testing.T) {
	host := execHost(t)
	plain := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644)
	for _, tc := range []struct {
		req  execRequest
		want string
	}{
		{execRequest{Argv: []string{"no-such-program-berth"}}, `program "no-such-program-berth" not found`},
		{execRequest{Argv: []string{"/nonexistent/prog"}}, "cannot run /nonexistent/prog in the guest: no such file or directory"},
		{execRequest{Argv: []string{plain}}, "it is not executable"},
		{execRequest{}, "exec needs a program"},
		{execRequest{Argv: []string{"true"}, Env: []string{"NOEQUALS"}}, `env entry "NOEQUALS" is not NAME=value`},
		{execRequest{Argv: []string{"true"}, Cwd: "/nonexistent"}, "working directory /nonexistent"},
		{execRequest{Argv: []string{"true"}, TTY: true, Rows: 70000}, "terminal size 70000x80 is out of range"},
	} {
		r := startExecStream(t, host, tc.req).finish()
		if !strings.Contains(r.failure, tc.want) || r.kinds != "F" || r.err != nil {
			t.Errorf("%+v: got %+v; want only F containing %q", tc.req, r, tc.want)
		}
	}
}

func TestExecMalformedMessagesReset(t *testing.T) {
	host := execHost(t)
	hdr := func(kind byte, n uint32) []byte {
		b := []byte{kind, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], n)
		return b
	}
	start := appendExecMsg(nil, execStart, []byte(`{"argv":["cat"]}`))
	for _, tc := range []struct {
		name, want string
		wire       []byte
		closeWrite bool
	}{
		{"unknown kind", "unknown exec message kind 'Z'", append(start, appendExecMsg(nil, 'Z', nil)...), false},
		{"oversized", "over the limit of 65536", append(start, hdr(execStdin, 65537)...), false},
		{"no S first", "first message must be S", appendExecMsg(nil, execStdin, []byte("x")), false},
		{"S twice", "S came twice", append(start, start...), false},
		{"bad JSON", "not the JSON object", appendExecMsg(nil, execStart, []byte(`{"argv":`)), false},
		{"wrong type", "not the JSON object", appendExecMsg(nil, execStart, []byte(`{"argv":"sh"}`)), false},
		{"bad R size", "R must be 4 bytes", append(start, appendExecMsg(nil, execResize, []byte{1})...), false},
		{"K signal 0", "signal 0", append(start, appendExecMsg(nil, execKill, []byte{0})...), false},
		{"I after E", "I after E", append(append(start, appendExecMsg(nil, execEOF, nil)...), appendExecMsg(nil, execStdin, []byte("x"))...), false},
		{"truncated", "middle of a message", append(start, hdr(execStdin, 10)...), true},
		{"nothing", "before its S message", nil, true},
	} {
		st := open(t, host, "exec")
		st.Write(tc.wire)
		if tc.closeWrite {
			st.CloseWrite()
		}
		_, err := io.ReadAll(st)
		var reset *link.ResetError
		if !errors.As(err, &reset) || !strings.Contains(reset.Reason, tc.want) {
			t.Errorf("%s: read ended with %v; want a RESET containing %q", tc.name, err, tc.want)
		}
	}
}

func TestExecSignalNames(t *testing.T) {
	for sig, want := range map[int]string{9: "SIGKILL", 2: "SIGINT", 15: "SIGTERM", 34: "SIGRTMIN+0", 40: "SIGRTMIN+6", 99: "SIG99"} {
		if got := signalName(syscall.Signal(sig)); got != want {
			t.Errorf("signalName(%d) = %s; want %s", sig, got, want)
		}
	}
}

func TestExecLeavesNoDescriptorsBehind(t *testing.T) {
	host := execHost(t)
	countFDs := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	startExecStream(t, host, execRequest{Argv: []string{"true"}}).finish() // warm up
	before := countFDs()
	for i := 0; i < 5; i++ {
		startExecStream(t, host, execRequest{Argv: []string{"sh", "-c", "echo x; echo y >&2"}}).finish()
		startExecStream(t, host, execRequest{Argv: []string{"stty", "size"}, TTY: true}).finish()
		startExecStream(t, host, execRequest{Argv: []string{"no-such-program-berth"}}).finish()
		c := startExecStream(t, host, execRequest{Argv: []string{"sh", "-c", "echo go; exec sleep 100"}, TTY: i%2 == 0})
		c.readUntil("go")
		c.st.Close()
	}
	deadline := time.Now().Add(testTimeout)
	for countFDs() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors open after the execs; %d before", countFDs(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
