// benchclient: the one client the benchmark runs on both sides (host and guest), so that a figure and
// its baseline differ only in the path they take. Static Go, standard library only; prints JSON.
//
//	benchclient http  -socket /var/run/docker.sock -path /_ping -n 200 -parallel 1 [-keepalive]
//	benchclient exec  -n 5 -parallel 1 -- docker version
//	benchclient proxy -listen 0.0.0.0:2375 -to /var/run/docker.sock
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"
)

type result struct {
	// Per-operation latency, microseconds, in completion order.
	SamplesUs []int64 `json:"samplesUs"`
	// Wall time of the whole run (all operations, all workers), microseconds.
	WallUs int64  `json:"wallUs"`
	Errors int    `json:"errors"`
	First  string `json:"firstError,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: benchclient http|exec|proxy …")
	}
	switch os.Args[1] {
	case "http":
		runHTTP(os.Args[2:])
	case "exec":
		runExec(os.Args[2:])
	case "proxy":
		runProxy(os.Args[2:])
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "benchclient:", msg)
	os.Exit(2)
}

// repeat runs op n times on `parallel` workers and collects each operation's latency.
func repeat(n, parallel int, op func() error) result {
	var mu sync.Mutex
	r := result{SamplesUs: make([]int64, 0, n)}
	next := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				t := time.Now()
				err := op()
				d := time.Since(t).Microseconds()
				mu.Lock()
				r.SamplesUs = append(r.SamplesUs, d)
				if err != nil {
					r.Errors++
					if r.First == "" {
						r.First = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.WallUs = time.Since(start).Microseconds()
	return r
}

func emit(r result) {
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fail(err.Error())
	}
}

// http: GET a path of an HTTP server on a unix socket or TCP address; a new connection per request
// unless -keepalive (then one connection per worker, reused).
func runHTTP(args []string) {
	fs := flag.NewFlagSet("http", flag.ExitOnError)
	socket := fs.String("socket", "", "unix socket of the server")
	tcp := fs.String("tcp", "", "host:port of the server (instead of -socket)")
	path := fs.String("path", "/_ping", "request path")
	n := fs.Int("n", 100, "requests")
	parallel := fs.Int("parallel", 1, "concurrent workers")
	keepalive := fs.Bool("keepalive", false, "reuse connections")
	_ = fs.Parse(args)
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		if *socket != "" {
			return d.DialContext(ctx, "unix", *socket)
		}
		return d.DialContext(ctx, "tcp", *tcp)
	}
	tr := &http.Transport{DialContext: dial, DisableKeepAlives: !*keepalive, MaxIdleConnsPerHost: *parallel}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	emit(repeat(*n, *parallel, func() error {
		resp, err := client.Get("http://docker" + *path)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return err
	}))
}

// exec: run a command n times (parallel at once), output discarded; a non-zero exit counts as an error.
func runExec(args []string) {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	n := fs.Int("n", 5, "runs")
	parallel := fs.Int("parallel", 1, "concurrent runs")
	_ = fs.Parse(args)
	argv := fs.Args()
	if len(argv) == 0 {
		fail("exec needs a command after --")
	}
	emit(repeat(*n, *parallel, func() error {
		cmd := exec.Command(argv[0], argv[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}))
}

// proxy: accept TCP connections and join each to a new connection to a unix socket (both ways,
// half-close passed on). The baseline path for dockerd's API through QEMU user-net hostfwd.
func runProxy(args []string) {
	fs := flag.NewFlagSet("proxy", flag.ExitOnError)
	listen := fs.String("listen", "0.0.0.0:2375", "TCP address to listen on")
	to := fs.String("to", "/var/run/docker.sock", "unix socket to connect to")
	_ = fs.Parse(args)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fail(err.Error())
	}
	fmt.Println("listening", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			fail(err.Error())
		}
		go func(c net.Conn) {
			defer c.Close()
			u, err := net.Dial("unix", *to)
			if err != nil {
				return
			}
			defer u.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(u, c); _ = u.(*net.UnixConn).CloseWrite(); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, u); _ = c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			<-done
			<-done
		}(c)
	}
}
