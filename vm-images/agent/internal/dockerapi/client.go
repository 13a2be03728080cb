// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns the Client type, the unix-socket dialer and the shared request helpers.
package dockerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultSocket is where dockerd listens inside the Berth VM.
const DefaultSocket = "/var/run/docker.sock"

// DefaultAPIVersion is the Engine API version the self-test speaks.
const DefaultAPIVersion = "1.41"

// maxErrorBody bounds how much of an error response body is kept in an APIError.
const maxErrorBody = 4096

// Client sends Engine API requests to one unix socket.
type Client struct {
	// SocketPath is the unix socket dockerd listens on.
	SocketPath string
	// APIVersion, when set (e.g. "1.41"), prefixes request paths with /v1.41.
	// Leave it empty for unversioned paths such as /_ping.
	APIVersion string

	http *http.Client
}

// New returns a client for the unix socket at socketPath using unversioned paths.
func New(socketPath string) *Client {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConns:    4,
		IdleConnTimeout: 30 * time.Second,
		// No response timeouts here: image import and container wait can take long;
		// callers bound every request with their context instead.
	}
	return &Client{SocketPath: socketPath, http: &http.Client{Transport: transport}}
}

// WithAPIVersion returns a copy of c that prefixes paths with /v<version>.
func (c *Client) WithAPIVersion(version string) *Client {
	cp := *c
	cp.APIVersion = version
	return &cp
}

// CloseIdle closes idle keep-alive connections to the socket.
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

// requestURL builds http://docker/<version>/<path>?<query>; the host part is ignored by the dialer.
func (c *Client) requestURL(path string, query url.Values) string {
	if c.APIVersion != "" {
		path = "/v" + c.APIVersion + path
	}
	u := url.URL{Scheme: "http", Host: "docker", Path: path}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String()
}

// displayPath is the method-free request path used in error messages.
func (c *Client) displayPath(path string) string {
	if c.APIVersion != "" {
		return "/v" + c.APIVersion + path
	}
	return path
}

// do sends a request and returns the response if its status is 2xx or 304.
// Any other status is turned into an *APIError carrying the status and body;
// connection problems are wrapped with the socket path. The caller closes the body.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.requestURL(path, query), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: building request: %w", method, c.displayPath(path), err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		err = unwrapURLError(err)
		if strings.Contains(err.Error(), c.SocketPath) {
			return nil, fmt.Errorf("%s %s: %w", method, c.displayPath(path), err)
		}
		return nil, fmt.Errorf("%s %s via %s: %w", method, c.displayPath(path), c.SocketPath, err)
	}
	if (resp.StatusCode >= 200 && resp.StatusCode < 300) || resp.StatusCode == http.StatusNotModified {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, newAPIError(method, c.displayPath(path), resp.StatusCode, raw)
}

// doJSON sends in (if non-nil) as a JSON body and decodes a JSON response into out (if non-nil).
func (c *Client) doJSON(ctx context.Context, method, path string, query url.Values, in, out interface{}) error {
	var body io.Reader
	contentType := ""
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encoding request body: %w", method, c.displayPath(path), err)
		}
		body = bytes.NewReader(buf)
		contentType = "application/json"
	}
	resp, err := c.do(ctx, method, path, query, body, contentType)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding HTTP %d response: %w", method, c.displayPath(path), resp.StatusCode, err)
	}
	return nil
}

// unwrapURLError drops net/http's `Get "http://docker/...":` prefix, which only repeats the path.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
