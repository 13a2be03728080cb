//go:build !windows

// The unix socket's permissions on Linux and macOS: made under umask 0177, only its owner connects.
package main

import "syscall"

// ownerOnly runs listen with a umask that leaves files it makes to their owner alone.
func ownerOnly(listen func()) {
	old := syscall.Umask(0o177)
	listen()
	syscall.Umask(old)
}
