// Package fakeengine is an in-memory stand-in for dockerd's Engine API, served on a unix socket, for tests only.
// This file owns the image routes: tar import (with root-filesystem checks) and image inspect.
package fakeengine

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Image is an imported image as the fake stored it.
type Image struct {
	Ref     string
	ID      string
	Names   []string               // tar entry names in archive order
	Entries map[string]*tar.Header // by entry name
	Busybox []byte                 // contents of bin/busybox
}

// busyboxLinks are the symlinks the self-test image must carry, all pointing at "busybox".
var busyboxLinks = []string{"bin/sh", "bin/cat", "bin/echo", "bin/httpd", "bin/sleep", "bin/ls", "bin/dd", "bin/sync"}

// rootfsDirs are the empty directories the self-test image must carry.
var rootfsDirs = []string{"tmp", "etc", "proc", "sys", "dev"}

func (e *Engine) handleImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("fromSrc") != "-" {
		writeMessage(w, http.StatusBadRequest, "fake engine only supports fromSrc=-")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-tar" {
		writeMessage(w, http.StatusBadRequest, "fake engine wants Content-Type application/x-tar, got "+ct)
		return
	}
	repo, tag := q.Get("repo"), q.Get("tag")
	if repo == "" || tag == "" {
		writeMessage(w, http.StatusBadRequest, "repo and tag are required")
		return
	}
	sum := sha256.New()
	img, checkErr := readRootfs(io.TeeReader(r.Body, sum))
	_, _ = io.Copy(sum, r.Body)

	e.mu.Lock()
	injected := e.importError
	e.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	_ = enc.Encode(map[string]string{"status": "Importing", "progress": "[==>   ]"})
	if checkErr == nil && injected != "" {
		checkErr = errors.New(injected)
	}
	if checkErr != nil {
		_ = enc.Encode(map[string]interface{}{
			"errorDetail": map[string]string{"message": checkErr.Error()},
			"error":       checkErr.Error(),
		})
		return
	}
	img.Ref = repo + ":" + tag
	img.ID = "sha256:" + hex.EncodeToString(sum.Sum(nil))
	e.mu.Lock()
	e.images[img.Ref] = img
	e.mu.Unlock()
	_ = enc.Encode(map[string]string{"status": img.ID})
}

// readRootfs parses the import tar and checks it holds a runnable busybox root filesystem.
func readRootfs(r io.Reader) (*Image, error) {
	img := &Image{Entries: map[string]*tar.Header{}}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid tar after %d entries: %v", len(img.Names), err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
		img.Names = append(img.Names, name)
		img.Entries[name] = hdr
		if name == "bin/busybox" {
			if img.Busybox, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("reading bin/busybox: %v", err)
			}
		}
	}
	bb, ok := img.Entries["bin/busybox"]
	switch {
	case !ok:
		return nil, errors.New("tar has no bin/busybox")
	case bb.Typeflag != tar.TypeReg:
		return nil, fmt.Errorf("bin/busybox has type %q, want regular file", bb.Typeflag)
	case bb.Mode&0o777 != 0o755:
		return nil, fmt.Errorf("bin/busybox has mode %o, want 755", bb.Mode&0o777)
	case len(img.Busybox) == 0:
		return nil, errors.New("bin/busybox is empty")
	}
	for _, link := range busyboxLinks {
		h, ok := img.Entries[link]
		if !ok || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
			return nil, fmt.Errorf("tar lacks symlink %s -> busybox", link)
		}
	}
	for _, dir := range rootfsDirs {
		if h, ok := img.Entries[dir]; !ok || h.Typeflag != tar.TypeDir {
			return nil, fmt.Errorf("tar lacks directory %s", dir)
		}
	}
	return img, nil
}

func (e *Engine) handleImageInspect(w http.ResponseWriter, ref string) {
	img, ok := e.Image(ref)
	if !ok {
		writeMessage(w, http.StatusNotFound, "No such image: "+ref)
		return
	}
	writeJSON(w, http.StatusOK, map[string]interface{}{
		"Id": img.ID, "RepoTags": []string{img.Ref}, "Created": "1970-01-01T00:00:00Z", "Size": len(img.Busybox),
	})
}
