// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns the container lifecycle calls: create, start, wait, logs and remove.
package dockerapi

import (
	"context"
	"fmt"
	"io"
	"net/url"
)

// ContainerConfig is the body of POST /containers/create (only the fields the agent sets).
type ContainerConfig struct {
	Image string   `json:"Image"`
	Cmd   []string `json:"Cmd,omitempty"`
	Env   []string `json:"Env,omitempty"`
}

type createResponse struct {
	ID       string   `json:"Id"`
	Warnings []string `json:"Warnings"`
}

type waitResponse struct {
	StatusCode int64 `json:"StatusCode"`
	Error      *struct {
		Message string `json:"Message"`
	} `json:"Error"`
}

// CreateContainer calls POST /containers/create and returns the new container ID.
func (c *Client) CreateContainer(ctx context.Context, cfg ContainerConfig) (string, error) {
	var out createResponse
	if err := c.doJSON(ctx, "POST", "/containers/create", nil, cfg, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("POST %s: engine answered without a container Id", c.displayPath("/containers/create"))
	}
	return out.ID, nil
}

// StartContainer calls POST /containers/{id}/start.
func (c *Client) StartContainer(ctx context.Context, id string) error {
	return c.doJSON(ctx, "POST", "/containers/"+url.PathEscape(id)+"/start", nil, nil, nil)
}

// WaitContainer calls POST /containers/{id}/wait, blocking until the container
// exits, and returns its exit status.
func (c *Client) WaitContainer(ctx context.Context, id string) (int64, error) {
	var out waitResponse
	path := "/containers/" + url.PathEscape(id) + "/wait"
	if err := c.doJSON(ctx, "POST", path, nil, nil, &out); err != nil {
		return 0, err
	}
	if out.Error != nil && out.Error.Message != "" {
		return out.StatusCode, fmt.Errorf("POST %s: engine reported wait error: %s", c.displayPath(path), out.Error.Message)
	}
	return out.StatusCode, nil
}

// ContainerLogs calls GET /containers/{id}/logs?stdout=1&stderr=1 and
// demultiplexes the answer into stdout and stderr.
func (c *Client) ContainerLogs(ctx context.Context, id string, stdout, stderr io.Writer) error {
	q := url.Values{}
	q.Set("stdout", "1")
	q.Set("stderr", "1")
	path := "/containers/" + url.PathEscape(id) + "/logs"
	resp, err := c.do(ctx, "GET", path, q, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := Demux(resp.Body, stdout, stderr); err != nil {
		return fmt.Errorf("GET %s: %w", c.displayPath(path), err)
	}
	return nil
}

// RemoveContainer calls DELETE /containers/{id}, with ?force=1 when force is set.
func (c *Client) RemoveContainer(ctx context.Context, id string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"1"}}
	}
	return c.doJSON(ctx, "DELETE", "/containers/"+url.PathEscape(id), q, nil, nil)
}
