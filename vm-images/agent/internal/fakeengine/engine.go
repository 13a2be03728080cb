// Package fakeengine is an in-memory stand-in for dockerd's Engine API, served on a unix socket, for tests only.
// This file owns the Engine type: listening, routing, failure injection and the test-facing knobs.
package fakeengine

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// FakeVersion and FakeAPIVersion are what GET /version reports.
const (
	FakeVersion    = "24.0.7-fake"
	FakeAPIVersion = "1.43"
)

// Engine is a fake dockerd. Create it with Start or StartAt and Close it when done.
type Engine struct {
	SocketPath string

	tempDir string // removed on Close when Start created it
	ln      net.Listener
	srv     *http.Server

	mu          sync.Mutex
	readyAt     time.Time
	importError string
	exitCode    int64
	failures    map[string]int // route pattern -> forced HTTP status
	images      map[string]*Image
	containers  map[string]*Container
	requests    []string
	nextID      int
}

// Start serves a fresh fake engine on a socket in a new temporary directory.
// (Unix socket paths are limited to ~108 bytes, so it avoids long t.TempDir names.)
func Start() (*Engine, error) {
	dir, err := os.MkdirTemp("", "berth-fe-")
	if err != nil {
		return nil, fmt.Errorf("fake engine: creating temp dir: %w", err)
	}
	e, err := StartAt(filepath.Join(dir, "docker.sock"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e.tempDir = dir
	return e, nil
}

// StartAt serves a fresh fake engine on socketPath, which must not exist yet.
func StartAt(socketPath string) (*Engine, error) {
	ln, err := net.Listen("unix", socketPath)
	if err != nil {
		return nil, fmt.Errorf("fake engine: listening on %s: %w", socketPath, err)
	}
	e := &Engine{
		SocketPath: socketPath,
		ln:         ln,
		failures:   map[string]int{},
		images:     map[string]*Image{},
		containers: map[string]*Container{},
	}
	e.srv = &http.Server{Handler: http.HandlerFunc(e.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

// Close stops the server and removes the socket (and the temp dir from Start).
func (e *Engine) Close() error {
	err := e.srv.Close()
	os.Remove(e.SocketPath)
	if e.tempDir != "" {
		os.RemoveAll(e.tempDir)
	}
	return err
}

// SetReadyAfter makes GET /_ping answer 503 "starting" until d has passed.
func (e *Engine) SetReadyAfter(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.readyAt = time.Now().Add(d)
}

// SetImportError makes the next image imports emit {"error": msg} in their progress stream.
func (e *Engine) SetImportError(msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.importError = msg
}

// SetExitCode sets the exit status reported by POST /containers/{id}/wait.
func (e *Engine) SetExitCode(code int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.exitCode = code
}

// FailRoute forces a route such as "POST /containers/create" or
// "GET /containers/{id}/logs" to answer status with a JSON message body.
func (e *Engine) FailRoute(route string, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures[route] = status
}

// Requests returns "METHOD /path?query" for every request received so far (version prefix stripped).
func (e *Engine) Requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...)
}

// Image returns the image stored under ref ("repo:tag"), if any.
func (e *Engine) Image(ref string) (*Image, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	img, ok := e.images[ref]
	return img, ok
}

// LiveContainers returns how many containers exist (created and not removed).
func (e *Engine) LiveContainers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.containers)
}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/`)

// serve strips the API version prefix, records the request, applies forced
// failures and dispatches to the handler for the route.
func (e *Engine) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if loc := versionPrefix.FindStringIndex(path); loc != nil {
		path = path[loc[1]-1:]
	}
	route, arg := matchRoute(r.Method, path)

	e.mu.Lock()
	logged := r.Method + " " + path
	if r.URL.RawQuery != "" {
		logged += "?" + r.URL.RawQuery
	}
	e.requests = append(e.requests, logged)
	forced := e.failures[route]
	e.mu.Unlock()

	if forced != 0 {
		writeMessage(w, forced, fmt.Sprintf("fake engine: forced HTTP %d for %s", forced, route))
		return
	}
	switch route {
	case "GET /_ping":
		e.handlePing(w)
	case "GET /version":
		writeJSON(w, http.StatusOK, map[string]string{
			"Version": FakeVersion, "ApiVersion": FakeAPIVersion, "MinAPIVersion": "1.12",
			"Os": "linux", "Arch": "amd64", "KernelVersion": "6.1.0-fake",
		})
	case "POST /images/create":
		e.handleImport(w, r)
	case "GET /images/{name}/json":
		e.handleImageInspect(w, arg)
	case "POST /containers/create":
		e.handleCreate(w, r)
	case "POST /containers/{id}/start":
		e.handleStart(w, arg)
	case "POST /containers/{id}/wait":
		e.handleWait(w, arg)
	case "GET /containers/{id}/logs":
		e.handleLogs(w, r, arg)
	case "DELETE /containers/{id}":
		e.handleDelete(w, arg)
	default:
		writeMessage(w, http.StatusNotFound, "page not found")
	}
}

// matchRoute maps a method and unversioned path to a route pattern and its {id}/{name} argument.
func matchRoute(method, path string) (route, arg string) {
	switch {
	case path == "/_ping" || path == "/version" || path == "/images/create" || path == "/containers/create":
		return method + " " + path, ""
	case strings.HasPrefix(path, "/images/") && strings.HasSuffix(path, "/json"):
		return method + " /images/{name}/json", strings.TrimSuffix(strings.TrimPrefix(path, "/images/"), "/json")
	case strings.HasPrefix(path, "/containers/"):
		rest := strings.TrimPrefix(path, "/containers/")
		id, action, hasAction := strings.Cut(rest, "/")
		if !hasAction {
			return method + " /containers/{id}", id
		}
		return method + " /containers/{id}/" + action, id
	}
	return method + " " + path, ""
}

func (e *Engine) handlePing(w http.ResponseWriter) {
	e.mu.Lock()
	ready := !time.Now().Before(e.readyAt)
	e.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("starting"))
		return
	}
	_, _ = w.Write([]byte("OK"))
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}
