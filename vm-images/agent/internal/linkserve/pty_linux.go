// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns pseudo-terminals without cgo: /dev/ptmx, unlock, the pts path and window sizes.
package linkserve

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// ptyPair is a pty master (kept by the agent) and its slave (handed to the child, then closed here).
type ptyPair struct {
	master *os.File
	slave  *os.File
}

// openPTY opens a new pty with the given window size. The master is in non-blocking mode under
// Go's poller, so Close unblocks a pending Read or Write.
func openPTY(rows, cols uint16) (*ptyPair, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening /dev/ptmx for a terminal: %w (is devpts mounted?)", err)
	}
	var n uint32
	err = ioctlFile(master, syscall.TIOCSPTLCK, unsafe.Pointer(new(int32))) // 0: unlock
	if err == nil {
		err = ioctlFile(master, syscall.TIOCGPTN, unsafe.Pointer(&n))
	}
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("setting up the pty from /dev/ptmx: %w", err)
	}
	path := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("opening the pty slave %s: %w", path, err)
	}
	p := &ptyPair{master: master, slave: slave}
	if err := p.resize(rows, cols); err != nil {
		p.master.Close()
		p.slave.Close()
		return nil, err
	}
	return p, nil
}

// resize sets the terminal's window size (TIOCSWINSZ); the kernel sends SIGWINCH to its foreground group.
func (p *ptyPair) resize(rows, cols uint16) error {
	ws := struct{ row, col, xpixel, ypixel uint16 }{row: rows, col: cols}
	if err := ioctlFile(p.master, syscall.TIOCSWINSZ, unsafe.Pointer(&ws)); err != nil {
		return fmt.Errorf("setting the terminal size to %dx%d: %w", rows, cols, err)
	}
	return nil
}

// ioctlFile runs an ioctl on f's descriptor through SyscallConn, which (unlike f.Fd) leaves the
// file in non-blocking mode.
func ioctlFile(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
