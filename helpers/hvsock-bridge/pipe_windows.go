// hvsock-bridge joins a local endpoint berthd can open (a Windows named pipe; a unix socket in tests)
// to a Hyper-V socket in Berth's VM. This file owns the named pipe server (standard library only:
// kernel32/advapi32 through syscall), created with an explicit DACL and remote clients refused.
package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"unsafe"
)

var (
	kernel32                 = syscall.NewLazyDLL("kernel32.dll")
	advapi32                 = syscall.NewLazyDLL("advapi32.dll")
	procCreateNamedPipeW     = kernel32.NewProc("CreateNamedPipeW")
	procConnectNamedPipe     = kernel32.NewProc("ConnectNamedPipe")
	procCreateEventW         = kernel32.NewProc("CreateEventW")
	procGetOverlappedResult  = kernel32.NewProc("GetOverlappedResult")
	procConvertStringSDToSDW = advapi32.NewProc("ConvertStringSecurityDescriptorToSecurityDescriptorW")
	errPipeConnected         = syscall.Errno(535) // ERROR_PIPE_CONNECTED: the client came before ConnectNamedPipe
	errNoData                = syscall.Errno(232) // ERROR_NO_DATA: the client already left
	errOperationAborted      = syscall.Errno(995) // ERROR_OPERATION_ABORTED: CancelIoEx on Close
)

const (
	pipeAccessDuplex        = 0x3
	fileFlagFirstInstance   = 0x80000
	fileFlagOverlapped      = 0x40000000
	pipeRejectRemoteClients = 0x8
	pipeUnlimitedInstances  = 255
)

// defaultSDDL lets only the owner (this user), SYSTEM and Administrators open the pipe: "P" protects
// the DACL from inheritance; GA is generic all. Everyone and Anonymous get nothing (T-02).
const defaultSDDL = "D:P(A;;GA;;;OW)(A;;GA;;;SY)(A;;GA;;;BA)"

type pipeListener struct {
	name   string
	sa     *syscall.SecurityAttributes
	mu     sync.Mutex
	next   syscall.Handle // the instance waiting for the next client
	closed bool
	first  bool
}

func listenPipe(name, sddl string) (Listener, error) {
	if sddl == "" {
		sddl = defaultSDDL
	}
	s, err := syscall.UTF16PtrFromString(sddl)
	if err != nil {
		return nil, err
	}
	var sd uintptr
	if r, _, e := procConvertStringSDToSDW.Call(uintptr(unsafe.Pointer(s)), 1, uintptr(unsafe.Pointer(&sd)), 0); r == 0 {
		return nil, fmt.Errorf("the security descriptor %q: %w", sddl, e)
	}
	l := &pipeListener{name: name, sa: &syscall.SecurityAttributes{Length: uint32(unsafe.Sizeof(syscall.SecurityAttributes{})), SecurityDescriptor: sd}, first: true}
	h, err := l.newInstance()
	if err != nil {
		return nil, err
	}
	l.next = h
	return l, nil
}

// newInstance creates one pipe instance; the first one fails if any process already owns the name.
func (l *pipeListener) newInstance() (syscall.Handle, error) {
	n, err := syscall.UTF16PtrFromString(l.name)
	if err != nil {
		return syscall.InvalidHandle, err
	}
	mode := uintptr(pipeAccessDuplex | fileFlagOverlapped)
	if l.first {
		mode |= fileFlagFirstInstance
		l.first = false
	}
	r, _, e := procCreateNamedPipeW.Call(uintptr(unsafe.Pointer(n)), mode, pipeRejectRemoteClients, pipeUnlimitedInstances, 65536, 65536, 0, uintptr(unsafe.Pointer(l.sa)))
	if syscall.Handle(r) == syscall.InvalidHandle {
		return syscall.InvalidHandle, fmt.Errorf("CreateNamedPipe %s: %w", l.name, e)
	}
	return syscall.Handle(r), nil
}

func (l *pipeListener) Accept() (Conn, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, net.ErrClosed
	}
	h := l.next
	l.mu.Unlock()
	if _, err := overlappedIO(h, func(o *syscall.Overlapped) error {
		r, _, e := procConnectNamedPipe.Call(uintptr(h), uintptr(unsafe.Pointer(o)))
		if r != 0 {
			return nil
		}
		return e
	}); err != nil && !errors.Is(err, errPipeConnected) && !errors.Is(err, errNoData) {
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		return nil, err
	}
	next, err := l.newInstance()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		syscall.CloseHandle(h)
		return nil, err
	}
	l.next = next
	return &pipeConn{h: h}, nil
}

func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	syscall.CancelIoEx(l.next, nil)
	return syscall.CloseHandle(l.next)
}

// pipeConn is one connected client. Overlapped I/O lets a read and a write be in flight at once
// (synchronous I/O on one handle is serialised by Windows, which would deadlock a bridge).
type pipeConn struct {
	h    syscall.Handle
	once sync.Once
}

func (c *pipeConn) Read(p []byte) (int, error) {
	n, err := overlappedIO(c.h, func(o *syscall.Overlapped) error { return syscall.ReadFile(c.h, p, nil, o) })
	if errors.Is(err, syscall.ERROR_BROKEN_PIPE) || (n == 0 && err == nil && len(p) > 0) {
		return 0, errEOF
	}
	return n, err
}

func (c *pipeConn) Write(p []byte) (int, error) {
	return overlappedIO(c.h, func(o *syscall.Overlapped) error { return syscall.WriteFile(c.h, p, nil, o) })
}

func (c *pipeConn) Close() error {
	var err error
	c.once.Do(func() {
		syscall.CancelIoEx(c.h, nil)
		err = syscall.CloseHandle(c.h)
	})
	return err
}

// overlappedIO starts one operation with its own event and waits for it to finish.
func overlappedIO(h syscall.Handle, start func(*syscall.Overlapped) error) (int, error) {
	ev, _, e := procCreateEventW.Call(0, 1, 0, 0)
	if ev == 0 {
		return 0, fmt.Errorf("CreateEvent: %w", e)
	}
	defer syscall.CloseHandle(syscall.Handle(ev))
	o := &syscall.Overlapped{HEvent: syscall.Handle(ev)}
	err := start(o)
	if err != nil && !errors.Is(err, syscall.ERROR_IO_PENDING) {
		return 0, err
	}
	var n uint32
	if r, _, e := procGetOverlappedResult.Call(uintptr(h), uintptr(unsafe.Pointer(o)), uintptr(unsafe.Pointer(&n)), 1); r == 0 {
		if errors.Is(e, errOperationAborted) {
			return int(n), net.ErrClosed
		}
		return int(n), e
	}
	return int(n), nil
}
