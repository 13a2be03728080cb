// mmapprobe: run in the guest by test/shares/sharesVm.test.ts. It maps a file of a shared folder
// MAP_SHARED and writable, writes through the mapping and msyncs, so the host can check that the
// bytes arrived. Prints "ok" or the step that failed with its errno.
package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Println("usage: mmapprobe FILE")
		os.Exit(2)
	}
	f, err := os.OpenFile(os.Args[1], os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		fmt.Println("write:", err)
		os.Exit(1)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		fmt.Println("mmap shared:", err)
		os.Exit(1)
	}
	copy(mem, "written through a shared mapping")
	if _, _, e := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafePointer(mem)), uintptr(len(mem)), syscall.MS_SYNC); e != 0 {
		fmt.Println("msync:", e)
		os.Exit(1)
	}
	if err := syscall.Munmap(mem); err != nil {
		fmt.Println("munmap:", err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
