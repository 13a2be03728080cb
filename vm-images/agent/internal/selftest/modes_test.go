// End-to-end tests of the import and verify modes against the fake engine on a unix socket,
// including failure reporting (missing image, engine errors, bad exit status) and cleanup.
package selftest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/agent/internal/fakeengine"
)

func setup(t *testing.T) (*fakeengine.Engine, Config, context.Context) {
	t.Helper()
	e, err := fakeengine.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	bb := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(bb, []byte("#!fake busybox for tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return e, Config{Socket: e.SocketPath, Token: "abc", Busybox: bb}, ctx
}

func TestImportThenVerify(t *testing.T) {
	e, cfg, ctx := setup(t)
	token, err := Import(ctx, cfg)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if token != "abc" {
		t.Errorf("token = %q, want abc", token)
	}
	img, ok := e.Image(ImageRef)
	if !ok {
		t.Fatal("fake engine has no berth-selftest:latest after import")
	}
	if string(img.Busybox) != "#!fake busybox for tests" {
		t.Errorf("busybox in image = %q", img.Busybox)
	}
	if n := e.LiveContainers(); n != 0 {
		t.Errorf("%d containers left behind", n)
	}

	token, err = Verify(ctx, cfg)
	if err != nil || token != "abc" {
		t.Fatalf("Verify = %q, %v; want abc", token, err)
	}

	var deletes int
	for _, r := range e.Requests() {
		if strings.HasPrefix(r, "DELETE /containers/") && strings.HasSuffix(r, "?force=1") {
			deletes++
		}
	}
	if deletes != 2 {
		t.Errorf("%d forced deletes, want 2: %q", deletes, e.Requests())
	}
}

func TestVerifyWithoutImage(t *testing.T) {
	_, cfg, ctx := setup(t)
	_, err := Verify(ctx, cfg)
	if err == nil || err.Error() != "image berth-selftest:latest missing (not persisted)" {
		t.Fatalf("Verify error = %v", err)
	}
}

func TestVerifyInspectServerError(t *testing.T) {
	e, cfg, ctx := setup(t)
	e.FailRoute("GET /images/{name}/json", http.StatusInternalServerError)
	_, err := Verify(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "missing (not persisted)") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("Verify error = %v", err)
	}
}

func TestImportReportsEngineErrors(t *testing.T) {
	cases := []struct {
		name        string
		breakEngine func(*fakeengine.Engine)
		want        []string
	}{
		{"error line in import stream", func(e *fakeengine.Engine) { e.SetImportError("no space left on device") },
			[]string{"import image berth-selftest:latest", "no space left on device"}},
		{"create answers 500", func(e *fakeengine.Engine) { e.FailRoute("POST /containers/create", 500) },
			[]string{"create container from berth-selftest:latest", "HTTP 500", "forced HTTP 500"}},
		{"start answers 500", func(e *fakeengine.Engine) { e.FailRoute("POST /containers/{id}/start", 500) },
			[]string{"start container", "HTTP 500"}},
		{"logs answer 404", func(e *fakeengine.Engine) { e.FailRoute("GET /containers/{id}/logs", 404) },
			[]string{"read logs of container", "HTTP 404"}},
		{"delete answers 500", func(e *fakeengine.Engine) { e.FailRoute("DELETE /containers/{id}", 500) },
			[]string{"remove container", "HTTP 500"}},
		{"container exits 1", func(e *fakeengine.Engine) { e.SetExitCode(1) },
			[]string{"exited with status 1", "token=abc"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, cfg, ctx := setup(t)
			c.breakEngine(e)
			_, err := Import(ctx, cfg)
			if err == nil {
				t.Fatal("Import succeeded against a broken engine")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if c.name != "delete answers 500" && e.LiveContainers() != 0 {
				t.Errorf("container left behind after failure")
			}
		})
	}
}

func TestImportRejectsBadInput(t *testing.T) {
	_, cfg, ctx := setup(t)
	bad := cfg
	bad.Token = "a b;rm"
	if _, err := Import(ctx, bad); err == nil || !strings.Contains(err.Error(), "must be") {
		t.Errorf("bad token error = %v", err)
	}
	bad = cfg
	bad.Busybox = filepath.Join(t.TempDir(), "no-busybox")
	if _, err := Import(ctx, bad); err == nil || !strings.Contains(err.Error(), "read busybox binary") {
		t.Errorf("missing busybox error = %v", err)
	}
}

func TestImportWithoutEngine(t *testing.T) {
	_, cfg, ctx := setup(t)
	cfg.Socket = filepath.Join(t.TempDir(), "docker.sock")
	_, err := Import(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Fatalf("Import error = %v, want the dial error", err)
	}
}

func TestTokenFromLogs(t *testing.T) {
	if tok, ok := tokenFromLogs("hello\ntoken=xyz\ntoken=later\n"); !ok || tok != "xyz" {
		t.Errorf("tokenFromLogs = %q, %v", tok, ok)
	}
	if _, ok := tokenFromLogs("nothing here\n"); ok {
		t.Error("found a token in logs without one")
	}
}
