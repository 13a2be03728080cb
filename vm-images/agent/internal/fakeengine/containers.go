// Package fakeengine is an in-memory stand-in for dockerd's Engine API, served on a unix socket, for tests only.
// This file owns the container routes and the fake "run" that turns `sh -c "echo ..."` into log frames.
package fakeengine

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Container is a container as the fake stored it.
type Container struct {
	ID      string
	Image   string
	Cmd     []string
	Env     []string
	Started bool
}

func (e *Engine) handleCreate(w http.ResponseWriter, r *http.Request) {
	var cfg struct {
		Image string   `json:"Image"`
		Cmd   []string `json:"Cmd"`
		Env   []string `json:"Env"`
	}
	if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil {
		writeMessage(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	if _, ok := e.Image(cfg.Image); !ok {
		writeMessage(w, http.StatusNotFound, "No such image: "+cfg.Image)
		return
	}
	e.mu.Lock()
	e.nextID++
	c := &Container{ID: fmt.Sprintf("c%063d", e.nextID), Image: cfg.Image, Cmd: cfg.Cmd, Env: cfg.Env}
	e.containers[c.ID] = c
	e.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]interface{}{"Id": c.ID, "Warnings": []string{}})
}

// container looks up id, answering 404 like dockerd when it is unknown.
func (e *Engine) container(w http.ResponseWriter, id string) (*Container, bool) {
	e.mu.Lock()
	c, ok := e.containers[id]
	e.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusNotFound, "No such container: "+id)
	}
	return c, ok
}

func (e *Engine) handleStart(w http.ResponseWriter, id string) {
	c, ok := e.container(w, id)
	if !ok {
		return
	}
	e.mu.Lock()
	already := c.Started
	c.Started = true
	e.mu.Unlock()
	if already {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Engine) handleWait(w http.ResponseWriter, id string) {
	c, ok := e.container(w, id)
	if !ok {
		return
	}
	e.mu.Lock()
	started, code := c.Started, e.exitCode
	e.mu.Unlock()
	if !started {
		writeMessage(w, http.StatusConflict, "fake engine: container "+id+" was never started")
		return
	}
	writeJSON(w, http.StatusOK, map[string]interface{}{"StatusCode": code, "Error": nil})
}

// handleLogs answers with the multiplexed output of the fake run: stdout split
// into two frames with a stderr frame between them.
func (e *Engine) handleLogs(w http.ResponseWriter, r *http.Request, id string) {
	c, ok := e.container(w, id)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("stdout") != "1" || q.Get("stderr") != "1" {
		writeMessage(w, http.StatusBadRequest, "fake engine expects stdout=1&stderr=1")
		return
	}
	stdout := fakeRun(c)
	half := len(stdout) / 2
	w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
	w.WriteHeader(http.StatusOK)
	writeFrame(w, 1, stdout[:half])
	writeFrame(w, 2, []byte("fake-engine: ran "+strings.Join(c.Cmd, " ")+"\n"))
	writeFrame(w, 1, stdout[half:])
}

// fakeRun "executes" `/bin/sh -c "echo ARGS"` by expanding $VARS from the container's Env.
func fakeRun(c *Container) []byte {
	if len(c.Cmd) != 3 || c.Cmd[0] != "/bin/sh" || c.Cmd[1] != "-c" || !strings.HasPrefix(c.Cmd[2], "echo ") {
		return nil
	}
	env := map[string]string{}
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return []byte(os.Expand(strings.TrimPrefix(c.Cmd[2], "echo "), func(k string) string { return env[k] }) + "\n")
}

// writeFrame writes one frame of Docker's stream format: type, 3 zero bytes, big-endian length, payload.
func writeFrame(w http.ResponseWriter, stream byte, payload []byte) {
	var hdr [8]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	_, _ = w.Write(hdr[:])
	_, _ = w.Write(payload)
}

func (e *Engine) handleDelete(w http.ResponseWriter, id string) {
	if _, ok := e.container(w, id); !ok {
		return
	}
	e.mu.Lock()
	delete(e.containers, id)
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
