// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns the engine-level calls: GET /_ping and GET /version.
package dockerapi

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Version is the subset of GET /version the agent reports.
type Version struct {
	Version       string `json:"Version"`
	APIVersion    string `json:"ApiVersion"`
	MinAPIVersion string `json:"MinAPIVersion"`
	Os            string `json:"Os"`
	Arch          string `json:"Arch"`
	KernelVersion string `json:"KernelVersion"`
}

// Ping calls GET /_ping and returns the trimmed body ("OK" when the engine is ready).
func (c *Client) Ping(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, "GET", "/_ping", nil, nil, "")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return "", fmt.Errorf("GET %s: reading body: %w", c.displayPath("/_ping"), err)
	}
	return strings.TrimSpace(string(body)), nil
}

// Version calls GET /version.
func (c *Client) Version(ctx context.Context) (Version, error) {
	var v Version
	err := c.doJSON(ctx, "GET", "/version", nil, nil, &v)
	return v, err
}
