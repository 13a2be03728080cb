// Tests for the Client against the fake engine on a real unix socket: ping, version,
// image import (ok / error line / bad tar), the container lifecycle and HTTP error paths.
package dockerapi_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/agent/internal/dockerapi"
	"berth/agent/internal/fakeengine"
)

func startEngine(t *testing.T) (*fakeengine.Engine, *dockerapi.Client) {
	t.Helper()
	e, err := fakeengine.Start()
	if err != nil {
		t.Fatal(err)
	}
	c := dockerapi.New(e.SocketPath).WithAPIVersion(dockerapi.DefaultAPIVersion)
	t.Cleanup(func() { c.CloseIdle(); e.Close() })
	return e, c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rootfsTar builds a minimal busybox tar; skipLink omits one symlink to make it invalid.
func rootfsTar(t *testing.T, skipLink string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	body := []byte("#!fake busybox")
	must(tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))}))
	_, err := tw.Write(body)
	must(err)
	for _, l := range []string{"sh", "cat", "echo", "httpd", "sleep", "ls", "dd", "sync"} {
		if "bin/"+l == skipLink {
			continue
		}
		must(tw.WriteHeader(&tar.Header{Name: "bin/" + l, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}))
	}
	for _, d := range []string{"dev", "etc", "proc", "sys", "tmp"} {
		must(tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}))
	}
	must(tw.Close())
	return buf.Bytes()
}

func TestPingAndVersion(t *testing.T) {
	_, c := startEngine(t)
	ctx := testContext(t)
	body, err := c.Ping(ctx)
	if err != nil || body != "OK" {
		t.Fatalf("Ping = %q, %v; want OK", body, err)
	}
	v, err := c.Version(ctx)
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	if v.Version != fakeengine.FakeVersion || v.APIVersion != fakeengine.FakeAPIVersion {
		t.Errorf("Version = %+v", v)
	}
}

func TestPingNotReadyIsAPIError(t *testing.T) {
	e, c := startEngine(t)
	e.SetReadyAfter(time.Hour)
	_, err := c.Ping(testContext(t))
	var apiErr *dockerapi.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || apiErr.Body != "starting" {
		t.Fatalf("Ping error = %#v, want 503 with body starting", err)
	}
}

func TestImportImage(t *testing.T) {
	e, c := startEngine(t)
	var statuses []string
	err := c.ImportImage(testContext(t), bytes.NewReader(rootfsTar(t, "")), "berth-selftest", "latest",
		func(m dockerapi.ProgressMessage) { statuses = append(statuses, m.Status) })
	if err != nil {
		t.Fatalf("ImportImage: %v", err)
	}
	if len(statuses) != 2 || !strings.HasPrefix(statuses[1], "sha256:") {
		t.Errorf("progress statuses = %q", statuses)
	}
	if _, ok := e.Image("berth-selftest:latest"); !ok {
		t.Errorf("fake engine did not store berth-selftest:latest")
	}
	img, err := c.InspectImage(testContext(t), "berth-selftest:latest")
	if err != nil || len(img.RepoTags) != 1 || img.RepoTags[0] != "berth-selftest:latest" {
		t.Errorf("InspectImage = %+v, %v", img, err)
	}
}

func TestImportImageErrorLine(t *testing.T) {
	e, c := startEngine(t)
	e.SetImportError("write /var/lib/docker/tmp: no space left on device")
	err := c.ImportImage(testContext(t), bytes.NewReader(rootfsTar(t, "")), "berth-selftest", "latest", nil)
	var se *dockerapi.StreamError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "no space left") {
		t.Fatalf("ImportImage error = %v, want StreamError with the engine message", err)
	}
	if _, ok := e.Image("berth-selftest:latest"); ok {
		t.Errorf("image stored despite the error")
	}
}

func TestImportImageBadTarReportedInStream(t *testing.T) {
	_, c := startEngine(t)
	err := c.ImportImage(testContext(t), bytes.NewReader(rootfsTar(t, "bin/httpd")), "berth-selftest", "latest", nil)
	if err == nil || !strings.Contains(err.Error(), "bin/httpd") {
		t.Fatalf("ImportImage error = %v, want complaint about bin/httpd", err)
	}
}

func TestContainerLifecycle(t *testing.T) {
	e, c := startEngine(t)
	ctx := testContext(t)
	if err := c.ImportImage(ctx, bytes.NewReader(rootfsTar(t, "")), "berth-selftest", "latest", nil); err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateContainer(ctx, dockerapi.ContainerConfig{
		Image: "berth-selftest:latest",
		Cmd:   []string{"/bin/sh", "-c", "echo token=$TOKEN"},
		Env:   []string{"TOKEN=abc"},
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := c.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	if err := c.StartContainer(ctx, id); err != nil {
		t.Fatalf("second StartContainer (304) should not fail: %v", err)
	}
	code, err := c.WaitContainer(ctx, id)
	if err != nil || code != 0 {
		t.Fatalf("WaitContainer = %d, %v", code, err)
	}
	var stdout, stderr bytes.Buffer
	if err := c.ContainerLogs(ctx, id, &stdout, &stderr); err != nil {
		t.Fatalf("ContainerLogs: %v", err)
	}
	if stdout.String() != "token=abc\n" {
		t.Errorf("stdout = %q, want token=abc", stdout.String())
	}
	if !strings.Contains(stderr.String(), "fake-engine: ran") {
		t.Errorf("stderr = %q, want the fake's stderr frame", stderr.String())
	}
	if err := c.RemoveContainer(ctx, id, true); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	if n := e.LiveContainers(); n != 0 {
		t.Errorf("%d containers left after remove", n)
	}
	reqs := e.Requests()
	if last := reqs[len(reqs)-1]; last != "DELETE /containers/"+id+"?force=1" {
		t.Errorf("last request = %q, want DELETE with force=1", last)
	}
}

func TestHTTPErrorPaths(t *testing.T) {
	e, c := startEngine(t)
	ctx := testContext(t)

	_, err := c.CreateContainer(ctx, dockerapi.ContainerConfig{Image: "nope:latest"})
	var apiErr *dockerapi.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != "No such image: nope:latest" {
		t.Fatalf("create with missing image error = %#v", err)
	}
	if !dockerapi.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
	if want := "POST /v1.41/containers/create: HTTP 404 Not Found: No such image: nope:latest"; err.Error() != want {
		t.Errorf("error text = %q, want %q", err.Error(), want)
	}

	if _, err := c.InspectImage(ctx, "berth-selftest:latest"); !dockerapi.IsNotFound(err) {
		t.Errorf("InspectImage of missing image error = %v, want 404", err)
	}

	e.FailRoute("GET /version", http.StatusInternalServerError)
	_, err = c.Version(ctx)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || dockerapi.IsNotFound(err) {
		t.Fatalf("Version error = %v, want HTTP 500", err)
	}
	if !strings.Contains(err.Error(), "HTTP 500 Internal Server Error: fake engine: forced HTTP 500") {
		t.Errorf("error text = %q lacks status and body", err.Error())
	}

	if err := c.StartContainer(ctx, "missing"); !dockerapi.IsNotFound(err) {
		t.Errorf("StartContainer(missing) error = %v, want 404", err)
	}
}

func TestMissingSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nothing.sock")
	_, err := dockerapi.New(sock).Ping(testContext(t))
	if err == nil || !strings.Contains(err.Error(), sock) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Ping error = %v, want dial error naming the socket", err)
	}
	var apiErr *dockerapi.APIError
	if errors.As(err, &apiErr) {
		t.Errorf("dial failure should not be an APIError")
	}
}
