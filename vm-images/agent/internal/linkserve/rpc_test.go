// Tests of the rpc target over a real session: agent.version, ping, time.set (fake clock), shutdown
// (answer first, then the power-off hook), and the error answers for bad lines and methods.
package linkserve

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rpcClient sends lines on an rpc stream and reads the answers.
type rpcClient struct {
	t  *testing.T
	w  io.Writer
	rd *bufio.Reader
}

func (c *rpcClient) call(line string) map[string]any {
	c.t.Helper()
	if _, err := c.w.Write([]byte(line + "\n")); err != nil {
		c.t.Fatalf("sending %s: %v", line, err)
	}
	resp, err := c.rd.ReadString('\n')
	if err != nil {
		c.t.Fatalf("answer to %s: %v", line, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		c.t.Fatalf("answer %q is not JSON: %v", resp, err)
	}
	return m
}

func TestRPC(t *testing.T) {
	var clockSetTo time.Time
	poweredOff := make(chan struct{}, 1)
	srv := &Server{
		Version:  "1.2.3-test",
		ProcDir:  fakeProc(t),
		SetClock: func(t time.Time) error { clockSetTo = t; return nil },
		PowerOff: func() error { poweredOff <- struct{}{}; return nil },
	}
	host := startServer(t, srv).connectHost(t)
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}

	v := c.call(`{"id":1,"method":"agent.version","params":{}}`)
	res, _ := v["result"].(map[string]any)
	if v["id"] != 1.0 || res["version"] != "1.2.3-test" || res["go"] != runtime.Version() || res["kernel"] != "6.1.0-test-amd64" {
		t.Fatalf("agent.version: %v", v)
	}

	p := c.call(`{"id":"two","method":"ping","params":{}}`)
	if p["id"] != "two" || p["result"].(map[string]any)["uptimeSeconds"] != 1234.56 {
		t.Fatalf("ping: %v", p)
	}

	before := time.Now().UnixNano()
	ts := c.call(`{"id":3,"method":"time.set","params":{"unixNanos":1700000000123456789}}`)
	prev, _ := ts["result"].(map[string]any)["previousUnixNanos"].(float64)
	if clockSetTo.UnixNano() != 1700000000123456789 || prev < float64(before)-1e9 || prev > float64(time.Now().UnixNano()) {
		t.Fatalf("time.set: %v; clock set to %d", ts, clockSetTo.UnixNano())
	}
	c.call(`{"id":4,"method":"time.set","params":{"unixNanos":1.7e18}}`)
	if clockSetTo.UnixNano() != 1.7e18 {
		t.Fatalf("time.set with a float: clock set to %d", clockSetTo.UnixNano())
	}

	for line, code := range map[string]string{
		`{"id":5,"method":"time.set","params":{}}`:               "bad-params",
		`{"id":6,"method":"time.set","params":{"unixNanos":-5}}`: "bad-params",
		`{"id":7,"method":"reboot","params":{}}`:                 "unknown-method",
		`not json`:                                               "bad-request",
	} {
		e := c.call(line)
		if errObj, _ := e["error"].(map[string]any); errObj["code"] != code || errObj["message"] == "" {
			t.Errorf("%s: %v; want error code %s", line, e, code)
		}
	}

	sd := c.call(`{"id":8,"method":"shutdown","params":{}}`)
	if r, ok := sd["result"].(map[string]any); !ok || len(r) != 0 || sd["id"] != 8.0 {
		t.Fatalf("shutdown answer %v; want result {}", sd)
	}
	select {
	case <-poweredOff:
	case <-time.After(testTimeout):
		t.Fatal("power-off hook not run after shutdown")
	}

	st.CloseWrite() // the agent ends the rpc stream after the host's half-close
	if rest, err := io.ReadAll(c.rd); err != nil || len(rest) != 0 {
		t.Fatalf("after CLOSE_WRITE: %q, %v; want EOF", rest, err)
	}
}

func TestRPCSetClockFailureIsReported(t *testing.T) {
	srv := &Server{Version: "t", ProcDir: fakeProc(t), SetClock: func(time.Time) error { return errors.New("operation not permitted") }}
	host := startServer(t, srv).connectHost(t)
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}
	e := c.call(`{"id":1,"method":"time.set","params":{"unixNanos":1700000000000000000}}`)
	errObj, _ := e["error"].(map[string]any)
	if errObj["code"] != "failed" || !strings.Contains(errObj["message"].(string), "operation not permitted") {
		t.Fatalf("time.set failure: %v", e)
	}
}

func TestRPCSeveralRequestsInOneWrite(t *testing.T) {
	host := startServer(t, &Server{Version: "t", ProcDir: fakeProc(t)}).connectHost(t)
	st := open(t, host, "rpc")
	st.Write([]byte(`{"id":1,"method":"ping"}` + "\n\n" + `{"id":2,"method":"ping"}` + "\n"))
	st.CloseWrite()
	out, err := io.ReadAll(st)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err != nil || len(lines) != 2 || !strings.Contains(lines[1], `"id":2`) {
		t.Fatalf("answers %q, %v", out, err)
	}
}
