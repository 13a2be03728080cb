// Package selftest checks the VM's Docker engine end to end without a docker CLI.
// This file owns the token container run: create, start, wait, logs, forced delete, token read-back.
package selftest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"berth/agent/internal/dockerapi"
)

// tokenCmd makes the container print the token it was given through its environment.
var tokenCmd = []string{"/bin/sh", "-c", "echo token=$TOKEN"}

// validToken keeps tokens safe to pass through `sh -c echo` unchanged.
var validToken = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// removeTimeout bounds the forced delete, which runs even after the main context expired.
const removeTimeout = 15 * time.Second

// NewToken returns a random 16-hex-digit token for when -token is not given.
func NewToken() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating a random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// CheckToken rejects tokens the shell would split or expand.
func CheckToken(token string) error {
	if !validToken.MatchString(token) {
		return fmt.Errorf("token %q must be 1-64 characters of A-Z a-z 0-9 . _ -", token)
	}
	return nil
}

// runTokenContainer runs tokenCmd in the self-test image with TOKEN=token and
// returns the token the container printed. The container is always force-removed.
func runTokenContainer(ctx context.Context, c *dockerapi.Client, token string) (string, error) {
	id, err := c.CreateContainer(ctx, dockerapi.ContainerConfig{
		Image: ImageRef,
		Cmd:   tokenCmd,
		Env:   []string{"TOKEN=" + token},
	})
	if err != nil {
		return "", fmt.Errorf("create container from %s: %w", ImageRef, err)
	}
	got, runErr := startWaitAndRead(ctx, c, id)

	rctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	rmErr := c.RemoveContainer(rctx, id, true)
	switch {
	case runErr != nil && rmErr != nil:
		return "", fmt.Errorf("%v (also failed to remove container %s: %v)", runErr, shortID(id), rmErr)
	case runErr != nil:
		return "", runErr
	case rmErr != nil:
		return "", fmt.Errorf("remove container %s: %w", shortID(id), rmErr)
	}
	if got != token {
		return "", fmt.Errorf("container printed token=%s but was started with token=%s", got, token)
	}
	return got, nil
}

// startWaitAndRead starts the container, waits for it, reads its logs and extracts the token.
func startWaitAndRead(ctx context.Context, c *dockerapi.Client, id string) (string, error) {
	sid := shortID(id)
	if err := c.StartContainer(ctx, id); err != nil {
		return "", fmt.Errorf("start container %s: %w", sid, err)
	}
	code, err := c.WaitContainer(ctx, id)
	if err != nil {
		return "", fmt.Errorf("wait for container %s: %w", sid, err)
	}
	var stdout, stderr bytes.Buffer
	if err := c.ContainerLogs(ctx, id, &stdout, &stderr); err != nil {
		return "", fmt.Errorf("read logs of container %s: %w", sid, err)
	}
	if code != 0 {
		return "", fmt.Errorf("container %s exited with status %d (stdout %q, stderr %q)", sid, code, stdout.String(), stderr.String())
	}
	token, ok := tokenFromLogs(stdout.String())
	if !ok {
		return "", fmt.Errorf("container %s printed no token= line (stdout %q, stderr %q)", sid, stdout.String(), stderr.String())
	}
	return token, nil
}

// tokenFromLogs returns the value of the first "token=" line in out.
func tokenFromLogs(out string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "token=") {
			return strings.TrimPrefix(line, "token="), true
		}
	}
	return "", false
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
