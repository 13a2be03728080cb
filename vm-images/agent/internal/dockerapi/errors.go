// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns the error types: HTTP status errors and errors reported inside progress streams.
package dockerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// APIError is a non-2xx answer from the Engine. Message is the Engine's
// {"message": ...} text when present, otherwise the trimmed raw body.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	Message    string
	Body       string
}

func newAPIError(method, path string, status int, raw []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status, Body: strings.TrimSpace(string(raw))}
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &msg) == nil && msg.Message != "" {
		e.Message = msg.Message
	} else {
		e.Message = e.Body
	}
	return e
}

func (e *APIError) Error() string {
	text := e.Message
	if text == "" {
		text = "(empty body)"
	}
	return fmt.Sprintf("%s %s: HTTP %d %s: %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), text)
}

// IsNotFound reports whether err is (or wraps) an APIError with status 404.
func IsNotFound(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}

// StreamError is an {"error": ...} line inside a JSON progress stream.
// The Engine answers 200 and only reports such failures in the stream body.
type StreamError struct {
	Message string
	Code    int
}

func (e *StreamError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("engine reported error in progress stream (code %d): %s", e.Code, e.Message)
	}
	return "engine reported error in progress stream: " + e.Message
}
