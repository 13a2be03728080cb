// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns the rpc target: newline-delimited JSON requests and the methods of docs/protocol.md.
package linkserve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"time"

	"berth/agent/internal/link"
)

// maxRPCLine bounds one request line.
const maxRPCLine = 1 << 20

type rpcRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result any             `json:"result,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
}

// rpcFailure is a method error with its code.
type rpcFailure struct{ code, message string }

func (f *rpcFailure) Error() string { return f.message }

func failure(code, format string, args ...any) error {
	return &rpcFailure{code: code, message: fmt.Sprintf(format, args...)}
}

// serveRPC answers one request per line until the host half-closes, then closes the stream.
func (srv *Server) serveRPC(st *link.Stream) {
	defer st.Close()
	r := bufio.NewReaderSize(st, 64*1024)
	for {
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			st.Reset(fmt.Sprintf("rpc request line over %d bytes", maxRPCLine))
			return
		}
		if len(bytes.TrimSpace(line)) > 0 {
			resp, after := srv.call(line)
			out, _ := json.Marshal(resp)
			if _, werr := st.Write(append(out, '\n')); werr != nil {
				return
			}
			if after != nil {
				after()
			}
		}
		if err != nil { // io.EOF: the host sent CLOSE_WRITE
			st.CloseWrite()
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxRPCLine {
			return nil, errLineTooLong
		}
		if err != bufio.ErrBufferFull {
			return line, err
		}
	}
}

// call runs one request; after, when set, runs once the response was written (shutdown).
func (srv *Server) call(line []byte) (resp rpcResponse, after func()) {
	var req rpcRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return rpcResponse{ID: json.RawMessage("null"), Error: &rpcError{Code: "bad-request", Message: "request is not a JSON object: " + err.Error()}}, nil
	}
	resp.ID = req.ID
	if len(resp.ID) == 0 {
		resp.ID = json.RawMessage("null")
	}
	var result any
	var err error
	switch req.Method {
	case "agent.version":
		result, err = srv.agentVersion()
	case "ping":
		result, err = srv.ping()
	case "time.set":
		result, err = srv.setTime(req.Params)
	case "time.get":
		result = map[string]int64{"unixNanos": time.Now().UnixNano()}
	case "disk.trim":
		result, err = srv.diskTrim()
	case "vm.info":
		result, err = srv.vmInfo()
	case "vm.stats":
		result, err = srv.vmStats()
	case "share.mount":
		result, err = srv.shareMount(req.Params)
	case "shutdown":
		result, after = struct{}{}, srv.shutdown
	default:
		err = failure("unknown-method", "unknown method %q; this agent has agent.version, ping, time.get, time.set, disk.trim, vm.info, vm.stats, share.mount and shutdown", truncate(req.Method, 100))
	}
	if err != nil {
		var f *rpcFailure
		if !errors.As(err, &f) {
			f = &rpcFailure{code: "failed", message: err.Error()}
		}
		return rpcResponse{ID: resp.ID, Error: &rpcError{Code: f.code, Message: f.message}}, nil
	}
	resp.Result = result
	return resp, after
}

func (srv *Server) agentVersion() (any, error) {
	kernel, err := kernelRelease(srv.procDir())
	if err != nil {
		return nil, err
	}
	return map[string]string{"version": srv.Version, "go": runtime.Version(), "kernel": kernel}, nil
}

func (srv *Server) ping() (any, error) {
	up, err := uptimeSeconds(srv.procDir())
	if err != nil {
		return nil, err
	}
	return map[string]float64{"uptimeSeconds": up}, nil
}

// setTime sets the guest clock. unixNanos may be a JSON integer (exact) or a float such as
// JavaScript's Date.now()*1e6 (rounded).
func (srv *Server) setTime(params json.RawMessage) (any, error) {
	var p struct {
		UnixNanos json.Number `json:"unixNanos"`
	}
	d := json.NewDecoder(bytes.NewReader(params))
	d.UseNumber()
	if len(params) == 0 || d.Decode(&p) != nil || p.UnixNanos == "" {
		return nil, failure("bad-params", `time.set needs params {"unixNanos": <nanoseconds since 1970>}`)
	}
	nanos, err := strconv.ParseInt(string(p.UnixNanos), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(p.UnixNanos), 64)
		if ferr != nil || f > math.MaxInt64 || f < math.MinInt64 {
			return nil, failure("bad-params", "unixNanos %s is not a number of nanoseconds", p.UnixNanos)
		}
		nanos = int64(f)
	}
	if nanos <= 0 {
		return nil, failure("bad-params", "unixNanos %d is not after 1970", nanos)
	}
	set := srv.SetClock
	if set == nil {
		set = setSystemClock
	}
	prev := time.Now()
	to := time.Unix(0, nanos)
	if err := set(to); err != nil {
		return nil, failure("failed", "setting the clock to %s: %v", to.UTC().Format(time.RFC3339Nano), err)
	}
	srv.logf("clock set to %s by the host (moved %v)", to.UTC().Format(time.RFC3339), to.Sub(prev).Round(time.Millisecond))
	return map[string]int64{"previousUnixNanos": prev.UnixNano()}, nil
}

// diskTrim discards the data disk's unused blocks (FITRIM on the filesystem of TrimPath).
func (srv *Server) diskTrim() (any, error) {
	path := srv.trimPath()
	trimmed, err := trimFilesystem(path)
	if errors.Is(err, errTrimUnsupported) {
		return nil, failure("unsupported", "%v", err)
	}
	if err != nil {
		return nil, err
	}
	srv.logf("trimmed %d bytes on the filesystem of %s", trimmed, path)
	return struct {
		TrimmedBytes uint64 `json:"trimmedBytes"`
		Path         string `json:"path"`
	}{trimmed, path}, nil
}

// vmInfo describes the guest: CPUs, memory, uptime, and the data disk when TrimPath can be measured.
func (srv *Server) vmInfo() (any, error) {
	mem, err := memTotalBytes(srv.procDir())
	if err != nil {
		return nil, err
	}
	up, err := uptimeSeconds(srv.procDir())
	if err != nil {
		return nil, err
	}
	info := struct {
		CPUs          int        `json:"cpus"`
		MemTotalBytes uint64     `json:"memTotalBytes"`
		UptimeSeconds float64    `json:"uptimeSeconds"`
		DataDisk      *diskUsage `json:"dataDisk,omitempty"`
	}{CPUs: onlineCPUs(srv.procDir()), MemTotalBytes: mem, UptimeSeconds: up}
	if du, err := statDisk(srv.trimPath()); err == nil {
		info.DataDisk = &du
	}
	return info, nil
}

// vmStats samples what the guest uses: cumulative CPU jiffies (the host takes the share from two
// samples), memory, and the data disk when TrimPath can be measured.
func (srv *Server) vmStats() (any, error) {
	cpu, err := readCPUJiffies(srv.procDir())
	if err != nil {
		return nil, err
	}
	mem, err := readMemStats(srv.procDir())
	if err != nil {
		return nil, err
	}
	stats := struct {
		CPU      cpuJiffies `json:"cpu"`
		CPUs     int        `json:"cpus"`
		Memory   memStats   `json:"memory"`
		DataDisk *diskStats `json:"dataDisk,omitempty"`
	}{CPU: cpu, CPUs: onlineCPUs(srv.procDir()), Memory: mem}
	if du, err := statDiskStats(srv.trimPath()); err == nil {
		stats.DataDisk = &du
	}
	return stats, nil
}

func (srv *Server) shutdown() {
	srv.logf("shutdown requested by the host")
	if srv.PowerOff == nil {
		srv.logf("no power-off command configured; staying up")
		return
	}
	if err := srv.PowerOff(); err != nil {
		srv.logf("power-off command failed: %v", err)
	}
}
