//go:build (linux || darwin) && !ninepportable

package main

import "os"

// hostPerm is the permission a file on the host gets for a mode the guest set: Linux and macOS keep it.
func hostPerm(mode os.FileMode) os.FileMode { return mode }
