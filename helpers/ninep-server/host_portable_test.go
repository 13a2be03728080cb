//go:build windows || (ninepportable && linux)

package main

import "os"

// hostPerm is the permission a file on the host gets for a mode the guest set: only its owner's
// write bit is kept (Windows' read-only attribute).
func hostPerm(mode os.FileMode) os.FileMode { return portablePerm(uint32(mode)) }
