// Tests of the listeners mode's /proc/net/tcp parsing and of FindProcess on a fake /proc.
// Only LISTEN (0A) rows count; established connections and malformed rows are told apart.
package selftest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:D2C4 0202000A:0050 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
`

func TestParseListenersKeepsOnlyListenState(t *testing.T) {
	got, err := ParseListeners(strings.NewReader(procNetTCP))
	if err != nil {
		t.Fatal(err)
	}
	want := []Listener{{Address: "00000000", Port: 2375}, {Address: "0100007F", Port: 8080}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParseListenersEmptyTable(t *testing.T) {
	header := strings.SplitN(procNetTCP, "\n", 2)[0] + "\n"
	got, err := ParseListeners(strings.NewReader(header))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %+v, %v; want none", got, err)
	}
}

func TestParseListenersRejectsMalformedPort(t *testing.T) {
	bad := "header\n 0: 00000000:ZZZZ 00000000:0000 0A 0\n"
	if _, err := ParseListeners(strings.NewReader(bad)); err == nil {
		t.Fatal("a non-hex port must be an error")
	}
}

func TestTCPListenersReadsBothTables(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tcp"), []byte(procNetTCP), 0o644); err != nil {
		t.Fatal(err)
	}
	six := "header\n 0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0\n"
	if err := os.WriteFile(filepath.Join(dir, "tcp6"), []byte(six), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := TCPListeners(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Port != 22 {
		t.Fatalf("got %+v, want 2 IPv4 and the IPv6 port 22", got)
	}
}

func TestFindProcessMatchesComm(t *testing.T) {
	dir := t.TempDir()
	for pid, comm := range map[string]string{"1": "init", "42": "dockerd", "43": "containerd", "self": "x"} {
		if err := os.MkdirAll(filepath.Join(dir, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, pid, "comm"), []byte(comm+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FindProcess(dir, "dockerd")
	if err != nil || !reflect.DeepEqual(got, []int{42}) {
		t.Fatalf("got %v, %v; want [42]", got, err)
	}
}
