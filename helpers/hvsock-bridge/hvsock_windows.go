// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns AF_HYPERV client sockets (standard library only:
// ws2_32 through syscall), connecting to <VM id, service GUID> — the guest's vsock port.
package main

import (
	"fmt"
	"io"
	"sync"
	"syscall"
	"unsafe"
)

const (
	afHyperV      = 34 // AF_HYPERV
	hvProtocolRaw = 1  // HV_PROTOCOL_RAW
	shutWrite     = 1  // SD_SEND
)

var (
	ws2_32      = syscall.NewLazyDLL("ws2_32.dll")
	procConnect = ws2_32.NewProc("connect")
	errEOF      = io.EOF
)

// sockaddrHV is SOCKADDR_HV.
type sockaddrHV struct {
	Family    uint16
	Reserved  uint16
	VMID      GUID
	ServiceID GUID
}

type hvConn struct {
	s    syscall.Handle
	once sync.Once
}

func dialHyperV(vm, service GUID) (Conn, error) {
	var d syscall.WSAData
	if err := syscall.WSAStartup(uint32(0x202), &d); err != nil {
		return nil, fmt.Errorf("WSAStartup: %w", err)
	}
	s, err := syscall.Socket(afHyperV, syscall.SOCK_STREAM, hvProtocolRaw)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_HYPERV): %w (is Hyper-V enabled?)", err)
	}
	sa := sockaddrHV{Family: afHyperV, VMID: vm, ServiceID: service}
	if r, _, e := procConnect.Call(uintptr(s), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa)); r != 0 {
		syscall.Closesocket(s)
		return nil, fmt.Errorf("connect to VM %s service %s: %w (is the VM running, the service GUID registered, and the agent listening?)", vm, service, e)
	}
	return &hvConn{s: s}, nil
}

func (c *hvConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	buf := syscall.WSABuf{Len: uint32(len(p)), Buf: &p[0]}
	var n, flags uint32
	if err := syscall.WSARecv(c.s, &buf, 1, &n, &flags, nil, nil); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return int(n), nil
}

func (c *hvConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		buf := syscall.WSABuf{Len: uint32(len(p) - done), Buf: &p[done]}
		var n uint32
		if err := syscall.WSASend(c.s, &buf, 1, &n, 0, nil, nil); err != nil {
			return done, err
		}
		done += int(n)
	}
	return done, nil
}

func (c *hvConn) CloseWrite() error { return syscall.Shutdown(c.s, shutWrite) }

func (c *hvConn) Close() error {
	var err error
	c.once.Do(func() { err = syscall.Closesocket(c.s) })
	return err
}
