// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns the client side of a named pipe (berthd's private
// Docker pipe, dialled for each client of the public one) and telling which process serves it.
package main

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

var (
	procWaitNamedPipeW              = kernel32.NewProc("WaitNamedPipeW")
	procGetNamedPipeServerProcessId = kernel32.NewProc("GetNamedPipeServerProcessId")
	errPipeBusy                     = syscall.Errno(231) // ERROR_PIPE_BUSY: every instance is in use
)

const (
	// SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION: the server may learn who we are, not act as us.
	securitySqosPresent    = 0x00100000
	securityIdentification = 0x00010000
)

func dialPipe(path string) func() (Conn, error) {
	return func() (Conn, error) {
		name, err := syscall.UTF16PtrFromString(path)
		if err != nil {
			return nil, err
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			h, err := syscall.CreateFile(name, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil, syscall.OPEN_EXISTING,
				fileFlagOverlapped|securitySqosPresent|securityIdentification, 0)
			if err == nil {
				return &pipeConn{h: h}, nil
			}
			if !errors.Is(err, errPipeBusy) || time.Now().After(deadline) {
				return nil, fmt.Errorf("opening %s: %w", path, err)
			}
			procWaitNamedPipeW.Call(uintptr(unsafe.Pointer(name)), 1000)
		}
	}
}

func peerPid(c Conn) (int, error) {
	pc, ok := c.(*pipeConn)
	if !ok {
		return 0, fmt.Errorf("%T is not a named pipe", c)
	}
	var pid uint32
	if r, _, e := procGetNamedPipeServerProcessId.Call(uintptr(pc.h), uintptr(unsafe.Pointer(&pid))); r == 0 {
		return 0, e
	}
	return int(pid), nil
}
