// Tests for ReadProgress: clean streams, error lines (plain and errorDetail-only) and garbage.
// These feed bytes directly; the HTTP path is covered in client_test.go.
package dockerapi

import (
	"errors"
	"strings"
	"testing"
)

func TestReadProgressClean(t *testing.T) {
	in := `{"status":"Importing","progress":"[=>  ]"}
{"status":"sha256:abc"}
`
	var seen []string
	if err := ReadProgress(strings.NewReader(in), func(m ProgressMessage) { seen = append(seen, m.Status) }); err != nil {
		t.Fatalf("ReadProgress: %v", err)
	}
	if len(seen) != 2 || seen[1] != "sha256:abc" {
		t.Errorf("messages = %q", seen)
	}
}

func TestReadProgressErrorLine(t *testing.T) {
	cases := map[string]string{
		"error field":         `{"status":"Importing"}` + "\n" + `{"errorDetail":{"message":"disk full"},"error":"disk full"}` + "\n" + `{"status":"never read"}`,
		"errorDetail only":    `{"errorDetail":{"code":7,"message":"disk full"}}`,
		"no trailing newline": `{"error":"disk full"}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			count := 0
			err := ReadProgress(strings.NewReader(in), func(ProgressMessage) { count++ })
			var se *StreamError
			if !errors.As(err, &se) || se.Message != "disk full" {
				t.Fatalf("error = %v, want StreamError disk full", err)
			}
			if strings.Contains(in, "never read") && count != 2 {
				t.Errorf("read %d messages, want to stop at the error line (2)", count)
			}
		})
	}
}

func TestReadProgressGarbage(t *testing.T) {
	err := ReadProgress(strings.NewReader(`{"status":"ok"}`+"\n<html>oops"), nil)
	if err == nil || !strings.Contains(err.Error(), "reading progress stream") {
		t.Fatalf("error = %v, want a decode error", err)
	}
}
