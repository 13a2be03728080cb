// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc).
// This file owns AF_VSOCK on Linux with the standard library only: the local CID, and a listener
// whose accepts and connections use Go's poller (so Close wakes a blocked Accept or Read).
package linkserve

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

const (
	afVsock              = 40    // AF_VSOCK
	ioctlVMSocketsGetCID = 0x7b9 // IOCTL_VM_SOCKETS_GET_LOCAL_CID
	devVsock             = "/dev/vsock"
)

// sockaddrVM is struct sockaddr_vm.
type sockaddrVM struct {
	Family    uint16
	Reserved1 uint16
	Port      uint32
	CID       uint32
	Flags     uint8
	Zero      [3]uint8
}

func realVsockProbe() vsockProbe {
	return vsockProbe{localCID: localCID, moduleLoaded: moduleLoaded("/sys/module"), listen: listenVsock}
}

// localCID asks /dev/vsock for this VM's CID.
func localCID() (uint32, error) {
	f, err := os.Open(devVsock)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var cid uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), ioctlVMSocketsGetCID, uintptr(unsafe.Pointer(&cid))); e != 0 {
		return 0, e
	}
	return cid, nil
}

// vsockListener listens on a vsock port of any local CID.
type vsockListener struct {
	f      *os.File
	rc     syscall.RawConn
	closed atomic.Bool
}

func listenVsock(port uint32) (linkListener, error) {
	fd, err := syscall.Socket(afVsock, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_VSOCK): %w", err)
	}
	sa := sockaddrVM{Family: afVsock, Port: port, CID: cidAny}
	if _, _, e := syscall.Syscall(syscall.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa)); e != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("bind: %w", e)
	}
	if err := syscall.Listen(fd, 16); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("listen: %w", err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("vsock:%d", port))
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &vsockListener{f: f, rc: rc}, nil
}

// Accept waits (in Go's poller) for a connection. syscall.Accept4 cannot be used: it does not
// know AF_VSOCK addresses and closes the new socket, so accept4 is called without an address.
func (l *vsockListener) Accept() (io.ReadWriteCloser, error) {
	var nfd uintptr
	var aerr syscall.Errno
	err := l.rc.Read(func(fd uintptr) bool {
		nfd, _, aerr = syscall.Syscall6(syscall.SYS_ACCEPT4, fd, 0, 0, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
		return aerr != syscall.EAGAIN
	})
	if err != nil {
		if l.closed.Load() {
			return nil, net.ErrClosed // os.File says "use of closed file", which no caller can match
		}
		return nil, err
	}
	if aerr != 0 {
		return nil, aerr
	}
	return os.NewFile(nfd, "vsock-conn"), nil
}

func (l *vsockListener) Close() error {
	l.closed.Store(true)
	return l.f.Close()
}
