// Package selftest checks the VM's Docker engine end to end without a docker CLI.
// This file owns the `import` and `verify` modes: image import, persistence check, token run.
package selftest

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"berth/agent/internal/dockerapi"
)

// Image name the self-test imports and later expects to find again.
const (
	ImageRepo = "berth-selftest"
	ImageTag  = "latest"
	ImageRef  = ImageRepo + ":" + ImageTag
)

// Config is what the import and verify modes need.
type Config struct {
	Socket  string // dockerd unix socket
	Token   string // value passed to the container and expected back
	Busybox string // path of the static busybox copied into the image (import only)
}

func (cfg Config) client() *dockerapi.Client {
	return dockerapi.New(cfg.Socket).WithAPIVersion(dockerapi.DefaultAPIVersion)
}

// Import builds the busybox image, imports it as berth-selftest:latest and
// runs the token container. It returns the token read back from the logs.
func Import(ctx context.Context, cfg Config) (string, error) {
	if err := CheckToken(cfg.Token); err != nil {
		return "", err
	}
	busybox, err := os.ReadFile(cfg.Busybox)
	if err != nil {
		return "", fmt.Errorf("read busybox binary: %v (pass -busybox with the path of a static busybox)", err)
	}
	if err := checkStaticBusybox(cfg.Busybox, busybox); err != nil {
		return "", err
	}
	rootfs, err := BuildRootfs(busybox)
	if err != nil {
		return "", err
	}
	c := cfg.client()
	defer c.CloseIdle()
	if err := c.ImportImage(ctx, bytes.NewReader(rootfs), ImageRepo, ImageTag, nil); err != nil {
		return "", fmt.Errorf("import image %s (%d byte tar): %w", ImageRef, len(rootfs), err)
	}
	return runTokenContainer(ctx, c, cfg.Token)
}

// Verify checks that berth-selftest:latest survived (e.g. a VM restart) and
// still runs. It returns the token read back from the logs.
func Verify(ctx context.Context, cfg Config) (string, error) {
	if err := CheckToken(cfg.Token); err != nil {
		return "", err
	}
	c := cfg.client()
	defer c.CloseIdle()
	if _, err := c.InspectImage(ctx, ImageRef); err != nil {
		if dockerapi.IsNotFound(err) {
			return "", fmt.Errorf("image %s missing (not persisted)", ImageRef)
		}
		return "", fmt.Errorf("image %s missing (not persisted): %w", ImageRef, err)
	}
	return runTokenContainer(ctx, c, cfg.Token)
}
