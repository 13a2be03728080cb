// Tests of the vsock transport: what the agent says when the transport is missing (for each flavour),
// serving once it appears (a unix-socket listener stands in for AF_VSOCK), and a real AF_VSOCK
// listener where this machine's kernel has a vsock transport.
package linkserve

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"berth/agent/internal/link"
)

func fakeProbe(cid uint32, cidErr error, modules ...string) vsockProbe {
	return vsockProbe{
		localCID: func() (uint32, error) { return cid, cidErr },
		moduleLoaded: func(name string) bool {
			for _, m := range modules {
				if m == name {
					return true
				}
			}
			return false
		},
		listen: func(uint32) (linkListener, error) { return nil, errors.New("not in this test") },
	}
}

func TestVsockMissingSaysWhy(t *testing.T) {
	cases := []struct {
		name, flavour string
		probe         vsockProbe
		want          string
	}{
		{"virtio without the module", FlavourVirtio, fakeProbe(0, os.ErrNotExist), "modules are not loaded"},
		{"virtio without a device (QEMU stands in)", FlavourVirtio, fakeProbe(cidAny, nil), "no virtio-vsock device"},
		{"virtio with a device", FlavourVirtio, fakeProbe(3, nil), ""},
		{"hyper-v without a VMBus (QEMU stands in)", FlavourHyperV, fakeProbe(cidAny, nil), "not running under Hyper-V"},
		{"hyper-v, vmbus but no hv_sock", FlavourHyperV, fakeProbe(cidAny, nil, "hv_vmbus"), "hv_sock module is not loaded"},
		// hv_sock reports VMADDR_CID_ANY as the local CID even when it works: the module decides.
		{"hyper-v with hv_sock", FlavourHyperV, fakeProbe(cidAny, nil, "hv_vmbus", "hv_sock"), ""},
	}
	for _, c := range cases {
		got := vsockMissing(c.flavour, c.probe)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// The agent says once that the transport is missing, keeps looking, and serves the link as soon as
// it is there; a unix socket stands in for the AF_VSOCK listener.
func TestServeVsockWaitsForTheTransportThenServes(t *testing.T) {
	old := VsockRetry
	VsockRetry = 20 * time.Millisecond
	t.Cleanup(func() { VsockRetry = old })
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "vsock-standin.sock")
	var present atomic.Bool
	var asked atomic.Int32
	probe := vsockProbe{
		localCID: func() (uint32, error) {
			asked.Add(1)
			if present.Load() {
				return 3, nil
			}
			return cidAny, nil
		},
		moduleLoaded: func(string) bool { return false },
		listen: func(port uint32) (linkListener, error) {
			if port != 3047 {
				t.Errorf("listened on port %d, want 3047", port)
			}
			ln, err := net.Listen("unix", sock)
			return netLinkListener{ln}, err
		},
	}
	log := &syncBuffer{}
	marks := &syncBuffer{}
	proc := shortTempDir(t)
	os.WriteFile(filepath.Join(proc, "uptime"), []byte("12.34 20.00\n"), 0o644)
	srv := &Server{Version: "test", Log: log, Marks: marks, ProcDir: proc}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.serveVsock(ctx, 3047, FlavourVirtio, probe) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveVsock: %v", err)
		}
	}()
	for asked.Load() < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	if n := strings.Count(log.String(), "no virtio vsock transport: there is no virtio-vsock device"); n != 1 {
		t.Fatalf("said it %d times, want once; log:\n%s", n, log.String())
	}
	present.Store(true)
	// Dial until it answers: the socket file appears at bind(), a moment before listen() (a dial in
	// between is refused, as one was in a loaded CI run).
	deadline := time.Now().Add(testTimeout)
	var c net.Conn
	for {
		var err error
		if c, err = net.Dial("unix", sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listener after the transport appeared (%v); log:\n%s", err, log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	host := link.NewSession(c, link.Config{Role: link.RoleHost, Agent: "test-host"})
	defer func() { host.Close(); host.Wait() }()
	wctx, wcancel := context.WithTimeout(context.Background(), testTimeout)
	defer wcancel()
	if err := host.WaitReady(wctx); err != nil {
		t.Fatalf("no HELLO over the stand-in: %v", err)
	}
	if !strings.Contains(log.String(), "guest link on virtio vsock port 3047") {
		t.Errorf("log does not say where it serves:\n%s", log.String())
	}
	// The same milestones as boot markers for the serial console, once each.
	want := "berth: guest link: no virtio vsock transport: there is no virtio-vsock device in this VM (the kernel has no CID for it): HyperKit adds one with -s virtio-sock, QEMU with -device vhost-vsock-pci; looking again every 20ms (uptime 12.34s)\n" +
		"berth: guest link on virtio vsock port 3047 (uptime 12.34s)\n"
	if marks.String() != want {
		t.Errorf("markers:\n%s\nwant:\n%s", marks.String(), want)
	}
}

// On a kernel with a vsock transport (this machine may itself be a VM with one), the real listener
// binds and listens, and Close wakes a blocked Accept. Nothing can connect to it here: that needs a
// hypervisor on the other side (docs/drivers.md says what is proven where).
func TestRealVsockListenerBindsAndCloses(t *testing.T) {
	cid, err := localCID()
	if err != nil || cid == cidAny {
		t.Skipf("no vsock transport on this machine (cid %#x, %v)", cid, err)
	}
	ln, err := listenVsock(30470)
	if err != nil {
		t.Fatalf("listen on AF_VSOCK with local CID %d: %v", cid, err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	ln.Close()
	select {
	case err := <-got:
		if !errors.Is(err, os.ErrClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v, want a closed error", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not wake Accept")
	}
}
