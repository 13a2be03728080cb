// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns decoding of JSON-lines progress streams (image import/pull/build output).
package dockerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ProgressMessage is one line of a progress stream.
type ProgressMessage struct {
	Status      string       `json:"status,omitempty"`
	ID          string       `json:"id,omitempty"`
	Progress    string       `json:"progress,omitempty"`
	Error       string       `json:"error,omitempty"`
	ErrorDetail *ErrorDetail `json:"errorDetail,omitempty"`
}

// ErrorDetail is the structured form of a progress-stream error.
type ErrorDetail struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// ReadProgress decodes every message in r until EOF, passing each to onMessage
// (which may be nil). It returns a *StreamError for the first message that
// carries an error, and a decode error if the stream is not valid JSON.
func ReadProgress(r io.Reader, onMessage func(ProgressMessage)) error {
	dec := json.NewDecoder(r)
	for {
		var msg ProgressMessage
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading progress stream: %w", err)
		}
		if onMessage != nil {
			onMessage(msg)
		}
		if msg.Error != "" || msg.ErrorDetail != nil {
			se := &StreamError{Message: msg.Error}
			if msg.ErrorDetail != nil {
				se.Code = msg.ErrorDetail.Code
				if se.Message == "" {
					se.Message = msg.ErrorDetail.Message
				}
			}
			return se
		}
	}
}
