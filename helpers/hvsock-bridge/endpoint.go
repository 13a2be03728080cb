// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns the endpoint specs and Hyper-V service GUIDs.
package main

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// GUID is a Windows GUID in its in-memory layout (Data1..3 little-endian on the wire as Windows stores them).
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseGUID reads "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (braces allowed).
func ParseGUID(s string) (GUID, error) {
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if !guidRe.MatchString(t) {
		return GUID{}, fmt.Errorf("%q is not a GUID like 00000be7-facb-11e6-bd58-64006a7986d3", s)
	}
	b, _ := hex.DecodeString(strings.ReplaceAll(t, "-", ""))
	var g GUID
	g.Data1 = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	g.Data2 = uint16(b[4])<<8 | uint16(b[5])
	g.Data3 = uint16(b[6])<<8 | uint16(b[7])
	copy(g.Data4[:], b[8:])
	return g, nil
}

func (g GUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", g.Data1, g.Data2, g.Data3, g.Data4[:2], g.Data4[2:])
}

// VsockServiceGUID is the Hyper-V service GUID a Linux guest's AF_VSOCK port is reached by: the
// port in the first field of the "VSOCK template" 00000000-facb-11e6-bd58-64006a7986d3.
func VsockServiceGUID(port uint32) GUID {
	g, _ := ParseGUID("00000000-facb-11e6-bd58-64006a7986d3")
	g.Data1 = port
	return g
}

// Endpoint is a parsed -listen or -dial value.
type Endpoint struct {
	Kind    string // "pipe", "unix" or "hvsock"
	Path    string // pipe or unix
	VMID    GUID   // hvsock
	Service GUID   // hvsock
}

var pipeRe = regexp.MustCompile(`^\\\\\.\\pipe\\[A-Za-z0-9_.-]{1,200}$`)

// ParseEndpoint reads pipe:\\.\pipe\<name>, unix:<path> or hvsock:<vm-id>:<service-guid | vsock port>.
func ParseEndpoint(s string) (Endpoint, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Endpoint{}, fmt.Errorf("%q: want pipe:\\\\.\\pipe\\<name>, unix:<path> or hvsock:<vm-id>:<service>", s)
	}
	switch kind {
	case "pipe":
		if !pipeRe.MatchString(rest) {
			return Endpoint{}, fmt.Errorf("%q: a pipe is \\\\.\\pipe\\ and a name of letters, digits, '_', '.' or '-'", s)
		}
		return Endpoint{Kind: "pipe", Path: rest}, nil
	case "unix":
		if rest == "" {
			return Endpoint{}, fmt.Errorf("%q: the unix socket path is empty", s)
		}
		return Endpoint{Kind: "unix", Path: rest}, nil
	case "hvsock":
		vm, svc, ok := strings.Cut(rest, ":")
		if !ok {
			return Endpoint{}, fmt.Errorf("%q: want hvsock:<vm-id>:<service-guid or vsock port>", s)
		}
		id, err := ParseGUID(vm)
		if err != nil {
			return Endpoint{}, fmt.Errorf("the VM id: %w", err)
		}
		var service GUID
		if port, perr := parsePort(svc); perr == nil {
			service = VsockServiceGUID(port)
		} else if service, err = ParseGUID(svc); err != nil {
			return Endpoint{}, fmt.Errorf("the service: %q is neither a vsock port nor a GUID", svc)
		}
		return Endpoint{Kind: "hvsock", VMID: id, Service: service}, nil
	default:
		return Endpoint{}, fmt.Errorf("%q: unknown endpoint kind %q (pipe, unix or hvsock)", s, kind)
	}
}

func parsePort(s string) (uint32, error) {
	if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a port")
	}
	var n uint64
	for _, c := range s {
		n = n*10 + uint64(c-'0')
	}
	if n == 0 || n >= 0xFFFFFFFF {
		return 0, fmt.Errorf("port out of range")
	}
	return uint32(n), nil
}
