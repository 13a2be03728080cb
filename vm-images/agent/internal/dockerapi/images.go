// Package dockerapi is a minimal Docker Engine API client that talks HTTP over a unix socket.
// This file owns the image calls: import from a tar body and inspect.
package dockerapi

import (
	"context"
	"io"
	"net/url"
)

// ImageInspect is the subset of GET /images/{name}/json the agent uses.
type ImageInspect struct {
	ID       string   `json:"Id"`
	RepoTags []string `json:"RepoTags"`
	Created  string   `json:"Created"`
	Size     int64    `json:"Size"`
}

// ImportImage calls POST /images/create?fromSrc=-&repo=<repo>&tag=<tag> with the
// root-filesystem tar in body, reads the whole progress stream (passing each
// message to onProgress, which may be nil) and fails on any error line.
func (c *Client) ImportImage(ctx context.Context, body io.Reader, repo, tag string, onProgress func(ProgressMessage)) error {
	q := url.Values{}
	q.Set("fromSrc", "-")
	q.Set("repo", repo)
	q.Set("tag", tag)
	resp, err := c.do(ctx, "POST", "/images/create", q, body, "application/x-tar")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return ReadProgress(resp.Body, onProgress)
}

// InspectImage calls GET /images/{ref}/json. A missing image gives an *APIError
// with status 404 (see IsNotFound).
func (c *Client) InspectImage(ctx context.Context, ref string) (ImageInspect, error) {
	var img ImageInspect
	err := c.doJSON(ctx, "GET", "/images/"+ref+"/json", nil, nil, &img)
	return img, err
}
