// Tests of the endpoint specs and the Hyper-V service GUID of a vsock port (the guest listens on
// AF_VSOCK port 3047; Windows reaches it as service 00000be7-facb-11e6-bd58-64006a7986d3).
package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVsockServiceGUID(t *testing.T) {
	if got := VsockServiceGUID(3047).String(); got != "00000be7-facb-11e6-bd58-64006a7986d3" {
		t.Errorf("port 3047: %s", got)
	}
	if got := VsockServiceGUID(0xdeadbeef).String(); got != "deadbeef-facb-11e6-bd58-64006a7986d3" {
		t.Errorf("port 0xdeadbeef: %s", got)
	}
}

func TestParseGUIDRoundTrips(t *testing.T) {
	for _, s := range []string{"12345678-9abc-def0-1234-56789abcdef0", "{00000be7-FACB-11e6-bd58-64006a7986d3}"} {
		g, err := ParseGUID(s)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ToLower(strings.Trim(s, "{}"))
		if g.String() != want {
			t.Errorf("%s → %s", s, g)
		}
	}
	for _, s := range []string{"", "1234", "12345678-9abc-def0-1234-56789abcdef", "g2345678-9abc-def0-1234-56789abcdef0", "12345678-9abc-def0-1234-56789abcdef0;calc"} {
		if _, err := ParseGUID(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseEndpoint(t *testing.T) {
	vm := "9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c"
	e, err := ParseEndpoint("hvsock:" + vm + ":3047")
	if err != nil || e.Kind != "hvsock" || e.VMID.String() != vm || e.Service.String() != "00000be7-facb-11e6-bd58-64006a7986d3" {
		t.Errorf("hvsock with port: %+v %v", e, err)
	}
	e, err = ParseEndpoint("hvsock:" + vm + ":00000be7-facb-11e6-bd58-64006a7986d3")
	if err != nil || e.Service != VsockServiceGUID(3047) {
		t.Errorf("hvsock with GUID: %+v %v", e, err)
	}
	e, err = ParseEndpoint(`pipe:\\.\pipe\berth_link`)
	if err != nil || e.Path != `\\.\pipe\berth_link` {
		t.Errorf("pipe: %+v %v", e, err)
	}
	bad := []string{"", "pipe", `pipe:\\server\pipe\x`, `pipe:\\.\pipe\a;b`, `pipe:\\.\pipe\$(x)`, "unix:", "tcp:127.0.0.1:2375", "hvsock:" + vm, "hvsock:nope:3047", "hvsock:" + vm + ":0", "hvsock:" + vm + ":4294967295"}
	for _, s := range bad {
		if _, err := ParseEndpoint(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestRunRefusesWrongEndpoints(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-listen", "hvsock:9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c:1", "-dial", "unix:/x"},
		{"-listen", "unix:/x", "-dial", `pipe:\\.\pipe\x`},
		{"-listen", "unix:/x"},
	} {
		var stderr bytes.Buffer
		if code := run(args, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}
