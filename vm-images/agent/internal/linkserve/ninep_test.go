// Tests of shares over the link: a ninep:<tag> stream claimed by share.mount, the mount options, the
// relay (a fake v9fs mount speaks Tversion through the socketpair to a fake 9P server on the host
// end), unmount when the stream ends, failures answered plainly, stale mounts detached, mountinfo parsing.
package linkserve

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mountCalls records the fake mount(2) and umount2 calls.
type mountCalls struct {
	mu        sync.Mutex
	mounts    []string // "source target fstype flags data"
	unmounts  []string
	unmounted chan string
	onUnmount func()     // runs inside the fake umount2, as the kernel's own bookkeeping
	held      []*os.File // the fds the fake mounts hold, as the kernel does until unmount
}

// tversion is a 9P2000.L Tversion message with NOTAG.
func tversion(msize uint32) []byte {
	v := "9P2000.L"
	b := make([]byte, 4+1+2+4+2+len(v))
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	b[4] = 100
	binary.LittleEndian.PutUint16(b[5:], 0xffff)
	binary.LittleEndian.PutUint32(b[7:], msize)
	binary.LittleEndian.PutUint16(b[11:], uint16(len(v)))
	copy(b[13:], v)
	return b
}

// fakeV9fsMount acts as the kernel's v9fs with trans=fd: it takes the fd named in the options, sends
// Tversion and waits for an Rversion (type 101), as mount(2) does before it returns.
func (m *mountCalls) fakeV9fsMount(source, target, fstype string, flags uintptr, data string) error {
	m.mu.Lock()
	m.mounts = append(m.mounts, fmt.Sprintf("%s %s %s %d %s", source, target, fstype, flags, data))
	m.mu.Unlock()
	match := regexp.MustCompile(`rfdno=(\d+),wfdno=(\d+)`).FindStringSubmatch(data)
	if match == nil || match[1] != match[2] {
		return syscall.EINVAL
	}
	fd, _ := strconv.Atoi(match[1])
	dup, err := syscall.Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dup), "v9fs")
	if _, err := f.Write(tversion(NinepMsize)); err != nil {
		f.Close()
		return err
	}
	hdr := make([]byte, 7)
	if _, err := io.ReadFull(f, hdr); err != nil {
		f.Close()
		return syscall.EIO
	}
	if hdr[4] != 101 {
		f.Close()
		return syscall.EREMOTEIO
	}
	m.mu.Lock()
	m.held = append(m.held, f)
	m.mu.Unlock()
	return nil
}

func (m *mountCalls) unmount(target string) error {
	m.mu.Lock()
	m.unmounts = append(m.unmounts, target)
	for _, f := range m.held {
		f.Close()
	}
	m.held = nil
	m.mu.Unlock()
	if m.onUnmount != nil {
		m.onUnmount()
	}
	if m.unmounted != nil {
		m.unmounted <- target
	}
	return nil
}

// shareServer is a Server with fake mounts and a fake /proc whose self/mountinfo the test writes.
func shareServer(t *testing.T, m *mountCalls, mountinfo string) (*served, string) {
	proc := fakeProc(t)
	os.MkdirAll(filepath.Join(proc, "self"), 0o755)
	os.WriteFile(filepath.Join(proc, "self/mountinfo"), []byte(mountinfo), 0o644)
	srv := &Server{Version: "t", ProcDir: proc, SysDir: fakeSys(t, true), Mount: m.fakeV9fsMount, Unmount: m.unmount}
	return startServer(t, srv), proc
}

// fakeSys is a /sys with (or without) module/9pnet_fd.
func fakeSys(t *testing.T, fdTransport bool) string {
	dir := t.TempDir()
	if fdTransport {
		os.MkdirAll(filepath.Join(dir, "module", "9pnet_fd"), 0o755)
	}
	return dir
}

// answerTversion plays berth-ninep-server on the host's end of the stream: it reads one message and answers Rversion.
func answerTversion(t *testing.T, st io.ReadWriter) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		hdr := make([]byte, 4)
		if _, err := io.ReadFull(st, hdr); err != nil {
			got <- nil
			return
		}
		rest := make([]byte, binary.LittleEndian.Uint32(hdr)-4)
		io.ReadFull(st, rest)
		msg := append(hdr, rest...)
		reply := append([]byte(nil), msg...)
		reply[4] = 101
		st.Write(reply)
		got <- msg
	}()
	return got
}

func TestShareMountRelaysTheKernelsMessagesAndUnmountsWhenTheStreamEnds(t *testing.T) {
	m := &mountCalls{unmounted: make(chan string, 4)}
	s, _ := shareServer(t, m, "")
	host := s.connectHost(t)
	where := filepath.Join(s.dir, "Users", "ann code")
	st := open(t, host, "ninep:share0-ab12")
	got := answerTversion(t, st)
	rpc := open(t, host, "rpc")
	c := &rpcClient{t: t, w: rpc, rd: bufio.NewReader(rpc)}

	resp := c.call(fmt.Sprintf(`{"id":1,"method":"share.mount","params":{"tag":"share0-ab12","path":%q,"readOnly":true}}`, where))
	if resp["error"] != nil {
		t.Fatalf("share.mount: %v", resp)
	}
	if msg := <-got; string(msg) != string(tversion(NinepMsize)) {
		t.Fatalf("the host got %x, not the kernel's Tversion", msg)
	}
	if fi, err := os.Stat(where); err != nil || !fi.IsDir() {
		t.Fatalf("the mount point was not created: %v", err)
	}
	time.Sleep(50 * time.Millisecond) // a relay that ended on its own would have unmounted by now
	m.mu.Lock()
	call, early := m.mounts[0], len(m.unmounts)
	m.mu.Unlock()
	if early != 0 {
		t.Fatal("the share was unmounted while its stream was open")
	}
	want := regexp.MustCompile(`^berth-share0-ab12 ` + regexp.QuoteMeta(where) + ` 9p 1 trans=fd,rfdno=(\d+),wfdno=(\d+),version=9p2000\.L,msize=262144,cache=mmap,access=client$`)
	if !want.MatchString(call) {
		t.Fatalf("mount call %q", call)
	}

	st.Close()
	select {
	case p := <-m.unmounted:
		if p != where {
			t.Fatalf("unmounted %q, not %q", p, where)
		}
	case <-time.After(testTimeout):
		t.Fatal("the share was not unmounted when its stream closed")
	}
}

func TestShareMountFailureIsAnsweredAndResetsTheStream(t *testing.T) {
	m := &mountCalls{}
	srv := &Server{Version: "t", ProcDir: fakeProc(t), SysDir: fakeSys(t, true), Mount: func(string, string, string, uintptr, string) error { return syscall.ENODEV }, Unmount: m.unmount}
	os.MkdirAll(filepath.Join(srv.ProcDir, "self"), 0o755)
	os.WriteFile(filepath.Join(srv.ProcDir, "self/mountinfo"), nil, 0o644)
	s := startServer(t, srv)
	host := s.connectHost(t)
	st := open(t, host, "ninep:t1")
	rpc := open(t, host, "rpc")
	c := &rpcClient{t: t, w: rpc, rd: bufio.NewReader(rpc)}
	where := filepath.Join(s.dir, "w")
	resp := c.call(fmt.Sprintf(`{"id":1,"method":"share.mount","params":{"tag":"t1","path":%q}}`, where))
	e, _ := resp["error"].(map[string]any)
	if e["code"] != "failed" || !strings.Contains(e["message"].(string), "mount -t 9p -o trans=fd,rw at "+where+": no such device") {
		t.Fatalf("answer %v", resp)
	}
	if _, err := io.ReadAll(st); err == nil || !strings.Contains(err.Error(), "no such device") {
		t.Fatalf("the stream ended with %v, not a reset naming the reason", err)
	}
	if len(m.unmounts) != 0 {
		t.Fatalf("unmounted %v after a failed mount", m.unmounts)
	}
}

func TestShareMountRefusals(t *testing.T) {
	m := &mountCalls{}
	s, _ := shareServer(t, m, "")
	host := s.connectHost(t)
	rpc := open(t, host, "rpc")
	c := &rpcClient{t: t, w: rpc, rd: bufio.NewReader(rpc)}
	for _, tc := range []struct{ params, code, message string }{
		{`{}`, "bad-params", "share.mount needs params"},
		{`{"tag":"a b","path":"/x"}`, "bad-params", "bad tag"},
		{`{"tag":"t","path":"rel/x"}`, "bad-params", "clean absolute path"},
		{`{"tag":"t","path":"/x/../y"}`, "bad-params", "clean absolute path"},
		{`{"tag":"t","path":"/"}`, "bad-params", "clean absolute path"},
	} {
		resp := c.call(`{"id":1,"method":"share.mount","params":` + tc.params + `}`)
		e, _ := resp["error"].(map[string]any)
		if e["code"] != tc.code || !strings.Contains(fmt.Sprint(e["message"]), tc.message) {
			t.Errorf("%s: %v", tc.params, resp)
		}
	}
	bad := open(t, host, "ninep:no/slash")
	if _, err := io.ReadAll(bad); err == nil || !strings.Contains(err.Error(), "bad ninep tag") {
		t.Fatalf("a bad tag's stream ended with %v", err)
	}
	if len(m.mounts) != 0 {
		t.Fatalf("mounted %v", m.mounts)
	}
}

func TestShareMountWithoutItsStreamSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("waits the 10 s share.mount gives a stream to arrive")
	}
	s, _ := shareServer(t, &mountCalls{}, "")
	host := s.connectHost(t)
	rpc := open(t, host, "rpc")
	rpc.SetDeadline(time.Now().Add(2 * testTimeout))
	c := &rpcClient{t: t, w: rpc, rd: bufio.NewReader(rpc)}
	resp := c.call(`{"id":1,"method":"share.mount","params":{"tag":"nobody","path":"/x"}}`)
	e, _ := resp["error"].(map[string]any)
	if e["code"] != "failed" || !strings.Contains(fmt.Sprint(e["message"]), "no ninep:nobody stream is open") {
		t.Fatalf("answer %v", resp)
	}
}

func TestShareMountDetachesAStale9pMountFirst(t *testing.T) {
	m := &mountCalls{}
	s, proc := shareServer(t, m, "")
	where := filepath.Join(s.dir, "stale dir")
	esc := strings.ReplaceAll(where, " ", `\040`)
	info := filepath.Join(proc, "self/mountinfo")
	os.WriteFile(info, []byte("22 1 0:21 / / rw - ext4 /dev/vda rw\n90 22 0:50 / "+esc+" rw - 9p berth-share0-old rw,trans=fd\n"), 0o644)
	m.onUnmount = func() { os.WriteFile(info, []byte("22 1 0:21 / / rw - ext4 /dev/vda rw\n"), 0o644) }
	host := s.connectHost(t)
	st := open(t, host, "ninep:new")
	answerTversion(t, st)
	rpc := open(t, host, "rpc")
	c := &rpcClient{t: t, w: rpc, rd: bufio.NewReader(rpc)}
	resp := c.call(fmt.Sprintf(`{"id":1,"method":"share.mount","params":{"tag":"new","path":%q}}`, where))
	if resp["error"] != nil {
		t.Fatalf("share.mount: %v", resp)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.unmounts) != 1 || m.unmounts[0] != where || len(m.mounts) != 1 {
		t.Fatalf("unmounts %v mounts %v", m.unmounts, m.mounts)
	}
}

func TestTopMountAt(t *testing.T) {
	f := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(f, []byte("22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"+
		"30 22 0:40 / /a\\040b rw shared:2 - tmpfs tmpfs rw\n"+
		"31 30 0:41 / /a\\040b rw - 9p berth-x rw,trans=fd\n"), 0o644)
	for p, want := range map[string]string{"/": "ext4", "/a b": "9p", "/a": "", "/a\\040b": ""} {
		if got, err := topMountAt(f, p); err != nil || got != want {
			t.Errorf("topMountAt(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
}

func TestShareMountWaitsForTheFdTransportModule(t *testing.T) {
	m := &mountCalls{}
	s, _ := shareServer(t, m, "")
	sys := fakeSys(t, false)
	s.srv.SysDir = sys
	host := s.connectHost(t)
	st := open(t, host, "ninep:late")
	answerTversion(t, st)
	rpc := open(t, host, "rpc")
	c := &rpcClient{t: t, w: rpc, rd: bufio.NewReader(rpc)}
	loaded := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		m.mu.Lock()
		early := len(m.mounts)
		m.mu.Unlock()
		if early != 0 {
			t.Error("mount(2) was called before 9pnet_fd was loaded")
		}
		os.MkdirAll(filepath.Join(sys, "module", "9pnet_fd"), 0o755) // the boot's modules step loads it
		close(loaded)
	}()
	resp := c.call(fmt.Sprintf(`{"id":1,"method":"share.mount","params":{"tag":"late","path":%q}}`, filepath.Join(s.dir, "late")))
	<-loaded
	if resp["error"] != nil {
		t.Fatalf("share.mount: %v", resp)
	}
}
