// Package waitdocker blocks until dockerd answers on its socket.
// This file owns the polling loop (GET /_ping until "OK", then GET /version) and its timeout error.
package waitdocker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"berth/agent/internal/dockerapi"
)

// DefaultInterval is the pause between two pings.
const DefaultInterval = 100 * time.Millisecond

// attemptTimeout bounds one ping or version request so a hung socket cannot eat the whole budget.
const attemptTimeout = 2 * time.Second

// errNoAttempt is reported if the deadline passed before any request was made.
var errNoAttempt = errors.New("no request was attempted before the deadline")

// Wait polls c.Ping every interval until the body is "OK" and GET /version
// succeeds, then returns the version. When ctx ends first it returns an error
// describing the last failed attempt (dial error, HTTP status, unexpected body).
func Wait(ctx context.Context, c *dockerapi.Client, interval time.Duration) (dockerapi.Version, error) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var lastErr error
	for {
		v, err := attempt(ctx, c)
		if err == nil {
			return v, nil
		}
		// An attempt cut short by the overall deadline says nothing new; keep the previous cause.
		if lastErr == nil || ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = errNoAttempt
			}
			return dockerapi.Version{}, lastErr
		case <-ticker.C:
		}
	}
}

// attempt makes one ping and, if the engine says OK, one version request.
func attempt(ctx context.Context, c *dockerapi.Client) (dockerapi.Version, error) {
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	body, err := c.Ping(actx)
	if err != nil {
		return dockerapi.Version{}, err
	}
	if body != "OK" {
		return dockerapi.Version{}, fmt.Errorf("GET /_ping answered %q instead of \"OK\"", body)
	}
	return c.Version(actx)
}
