// Tests of the rpc target over a real session: agent.version, ping, time.get, time.set (fake clock), vm.info,
// disk.trim, shutdown (answer first, then the power-off hook), and the error answers for bad lines and methods.
package linkserve

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
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

// fakeProcWithSystem is fakeProc plus cpuinfo (3 CPUs) and meminfo (2 GiB).
func fakeProcWithSystem(t *testing.T) string {
	dir := fakeProc(t)
	cpuinfo := "processor\t: 0\nmodel name\t: test\n\nprocessor\t: 1\n\nprocessor\t: 2\nflags\t\t: fpu\n"
	os.WriteFile(filepath.Join(dir, "cpuinfo"), []byte(cpuinfo), 0o644)
	os.WriteFile(filepath.Join(dir, "meminfo"), []byte("MemTotal:        2097152 kB\nMemFree:          100000 kB\n"), 0o644)
	return dir
}

func TestRPCTimeGetAndVMInfo(t *testing.T) {
	trimDir := t.TempDir()
	srv := &Server{Version: "t", ProcDir: fakeProcWithSystem(t), TrimPath: trimDir}
	host := serveAndConnect(t, srv)
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}

	before := time.Now().UnixNano()
	tg := c.call(`{"id":1,"method":"time.get","params":{}}`)
	got, _ := tg["result"].(map[string]any)["unixNanos"].(float64)
	if got < float64(before) || got > float64(time.Now().UnixNano()) {
		t.Fatalf("time.get: %v; want the clock between %d and now", tg, before)
	}

	vi := c.call(`{"id":2,"method":"vm.info","params":{}}`)
	res, _ := vi["result"].(map[string]any)
	disk, _ := res["dataDisk"].(map[string]any)
	if res["cpus"] != 3.0 || res["memTotalBytes"] != float64(2<<30) || res["uptimeSeconds"] != 1234.56 {
		t.Fatalf("vm.info: %v; want 3 CPUs, 2 GiB, 1234.56 s", vi)
	}
	if total, _ := disk["totalBytes"].(float64); total <= 0 || disk["freeBytes"].(float64) > total {
		t.Fatalf("vm.info dataDisk: %v; want the statfs of %s", disk, trimDir)
	}

	srv.TrimPath = filepath.Join(trimDir, "missing")
	vi = c.call(`{"id":3,"method":"vm.info","params":{}}`)
	if _, ok := vi["result"].(map[string]any)["dataDisk"]; ok {
		t.Fatalf("vm.info with a missing data disk path: %v; want no dataDisk", vi)
	}
}

func TestRPCVMInfoFallsBackToTheRuntimeCPUCount(t *testing.T) {
	proc := fakeProcWithSystem(t)
	os.Remove(filepath.Join(proc, "cpuinfo"))
	host := serveAndConnect(t, &Server{Version: "t", ProcDir: proc})
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}
	vi := c.call(`{"id":1,"method":"vm.info","params":{}}`)
	if vi["result"].(map[string]any)["cpus"] != float64(runtime.NumCPU()) {
		t.Fatalf("vm.info without cpuinfo: %v; want %d CPUs", vi, runtime.NumCPU())
	}
	os.Remove(filepath.Join(proc, "meminfo"))
	e := c.call(`{"id":2,"method":"vm.info","params":{}}`)
	if errObj, _ := e["error"].(map[string]any); errObj["code"] != "failed" || !strings.Contains(errObj["message"].(string), "reading the memory size") {
		t.Fatalf("vm.info without meminfo: %v; want a failed error about the memory size", e)
	}
}

func TestRPCDiskTrim(t *testing.T) {
	dir := t.TempDir()
	srv := &Server{Version: "t", ProcDir: fakeProc(t), TrimPath: filepath.Join(dir, "missing")}
	host := serveAndConnect(t, srv)
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}

	e := c.call(`{"id":1,"method":"disk.trim","params":{}}`)
	if errObj, _ := e["error"].(map[string]any); errObj["code"] != "failed" || !strings.Contains(errObj["message"].(string), "check that the data disk is mounted") {
		t.Fatalf("disk.trim of a missing directory: %v; want a failed error naming it", e)
	}

	// A real FITRIM of the temp dir's filesystem: trimmed, unsupported there, or not permitted.
	srv.TrimPath = dir
	r := c.call(`{"id":2,"method":"disk.trim","params":{}}`)
	if res, ok := r["result"].(map[string]any); ok {
		if res["path"] != dir || res["trimmedBytes"] == nil {
			t.Fatalf("disk.trim: %v; want trimmedBytes and path %s", r, dir)
		}
		return
	}
	errObj, _ := r["error"].(map[string]any)
	msg, _ := errObj["message"].(string)
	if !(errObj["code"] == "unsupported" && strings.Contains(msg, "cannot discard")) && !strings.Contains(msg, "must run as root") {
		t.Fatalf("disk.trim of %s: %v; want a result, unsupported, or a permission error", dir, r)
	}
	t.Logf("disk.trim here: %s", msg)
}

// fakeProcWithStats is fakeProcWithSystem plus a /proc/stat and a meminfo with MemAvailable.
func fakeProcWithStats(t *testing.T, stat string) string {
	dir := fakeProcWithSystem(t)
	os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644)
	os.WriteFile(filepath.Join(dir, "meminfo"), []byte("MemTotal:        2097152 kB\nMemFree:          100000 kB\nMemAvailable:    1048576 kB\n"), 0o644)
	return dir
}

const procStat = "cpu  100 20 30 800 50 5 6 7 40 2\ncpu0 50 10 15 400 25 2 3 3 20 1\ncpu1 50 10 15 400 25 3 3 4 20 1\nintr 12345\nctxt 999\n"

func TestRPCVMStats(t *testing.T) {
	trimDir := t.TempDir()
	proc := fakeProcWithStats(t, procStat)
	srv := &Server{Version: "t", ProcDir: proc, TrimPath: trimDir}
	host := serveAndConnect(t, srv)
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}

	vs := c.call(`{"id":1,"method":"vm.stats","params":{}}`)
	res, _ := vs["result"].(map[string]any)
	cpu, _ := res["cpu"].(map[string]any)
	mem, _ := res["memory"].(map[string]any)
	disk, _ := res["dataDisk"].(map[string]any)
	// total = user+nice+system+idle+iowait+irq+softirq+steal (guest is inside user); busy = total - idle - iowait.
	if cpu["totalJiffies"] != 1018.0 || cpu["busyJiffies"] != 168.0 || res["cpus"] != 3.0 {
		t.Fatalf("vm.stats cpu: %v; want total 1018, busy 168, 3 CPUs", vs)
	}
	if mem["totalBytes"] != float64(2<<30) || mem["availableBytes"] != float64(1<<30) {
		t.Fatalf("vm.stats memory: %v; want 2 GiB total, 1 GiB available", vs)
	}
	total, _ := disk["totalBytes"].(float64)
	used, _ := disk["usedBytes"].(float64)
	free, _ := disk["freeBytes"].(float64)
	if total <= 0 || used <= 0 || used+free > total {
		t.Fatalf("vm.stats dataDisk: %v; want the statfs of %s", disk, trimDir)
	}

	// The counters only grow: a second sample after more work gives the difference the host divides.
	os.WriteFile(filepath.Join(proc, "stat"), []byte("cpu  150 20 40 850 50 5 6 7 40 2\n"), 0o644)
	vs = c.call(`{"id":2,"method":"vm.stats","params":{}}`)
	cpu, _ = vs["result"].(map[string]any)["cpu"].(map[string]any)
	if cpu["totalJiffies"] != 1128.0 || cpu["busyJiffies"] != 228.0 {
		t.Fatalf("vm.stats second sample: %v; want total 1128, busy 228", vs)
	}

	srv.TrimPath = filepath.Join(trimDir, "missing")
	vs = c.call(`{"id":3,"method":"vm.stats","params":{}}`)
	if _, ok := vs["result"].(map[string]any)["dataDisk"]; ok {
		t.Fatalf("vm.stats with a missing data disk path: %v; want no dataDisk", vs)
	}
}

func TestRPCVMStatsOnAnOldKernelCPULine(t *testing.T) {
	// Before Linux 2.6.11 the cpu line has only user nice system idle.
	host := serveAndConnect(t, &Server{Version: "t", ProcDir: fakeProcWithStats(t, "cpu 10 0 5 85\n")})
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}
	cpu, _ := c.call(`{"id":1,"method":"vm.stats","params":{}}`)["result"].(map[string]any)["cpu"].(map[string]any)
	if cpu["totalJiffies"] != 100.0 || cpu["busyJiffies"] != 15.0 {
		t.Fatalf("vm.stats of a 4-counter cpu line: %v; want total 100, busy 15", cpu)
	}
}

func TestRPCVMStatsErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		stat, meminfo, want string
	}{
		"no /proc/stat":     {"", "MemTotal: 1 kB\nMemAvailable: 1 kB\n", "reading the CPU counters"},
		"no cpu line":       {"intr 1\n", "MemTotal: 1 kB\nMemAvailable: 1 kB\n", "has no cpu line"},
		"short cpu line":    {"cpu 1 2 3\n", "MemTotal: 1 kB\nMemAvailable: 1 kB\n", "want at least 4"},
		"junk counter":      {"cpu 1 x 3 4\n", "MemTotal: 1 kB\nMemAvailable: 1 kB\n", `cpu counter "x" is not a number`},
		"no MemAvailable":   {procStat, "MemTotal: 1 kB\nMemFree: 1 kB\n", "has no MemAvailable line"},
		"junk MemAvailable": {procStat, "MemTotal: 1 kB\nMemAvailable: lots kB\n", `MemAvailable "lots" is not a number`},
		"no meminfo":        {procStat, "", "reading the memory figures"},
	} {
		t.Run(name, func(t *testing.T) {
			proc := fakeProcWithStats(t, tc.stat)
			if tc.stat == "" {
				os.Remove(filepath.Join(proc, "stat"))
			}
			if tc.meminfo == "" {
				os.Remove(filepath.Join(proc, "meminfo"))
			} else {
				os.WriteFile(filepath.Join(proc, "meminfo"), []byte(tc.meminfo), 0o644)
			}
			host := serveAndConnect(t, &Server{Version: "t", ProcDir: proc})
			st := open(t, host, "rpc")
			c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}
			e := c.call(`{"id":1,"method":"vm.stats","params":{}}`)
			errObj, _ := e["error"].(map[string]any)
			if msg, _ := errObj["message"].(string); errObj["code"] != "failed" || !strings.Contains(msg, tc.want) {
				t.Fatalf("vm.stats: %v; want a failed error containing %q", e, tc.want)
			}
		})
	}
}

func TestRPCVMStatsOfThisMachine(t *testing.T) {
	// The real /proc of the test host: plausible figures, and the counters never go back.
	host := serveAndConnect(t, &Server{Version: "t", TrimPath: t.TempDir()})
	st := open(t, host, "rpc")
	c := &rpcClient{t: t, w: st, rd: bufio.NewReader(st)}
	a, _ := c.call(`{"id":1,"method":"vm.stats","params":{}}`)["result"].(map[string]any)
	b, _ := c.call(`{"id":2,"method":"vm.stats","params":{}}`)["result"].(map[string]any)
	ca, cb := a["cpu"].(map[string]any), b["cpu"].(map[string]any)
	if ca["busyJiffies"].(float64) > ca["totalJiffies"].(float64) || cb["totalJiffies"].(float64) < ca["totalJiffies"].(float64) {
		t.Fatalf("vm.stats cpu here: %v then %v", ca, cb)
	}
	m := b["memory"].(map[string]any)
	if m["availableBytes"].(float64) <= 0 || m["availableBytes"].(float64) > m["totalBytes"].(float64) {
		t.Fatalf("vm.stats memory here: %v", m)
	}
}
