// berth-ninep-server: serves one host folder over 9P2000.L to Linux's v9fs client, on a unix socket
// (HyperKit's virtio-9p forwards the guest's messages there) or a loopback TCP address (tests).
//
//	berth-ninep-server -root DIR -listen unix:PATH|tcp:127.0.0.1:PORT [-ro] [-msize N] [-once] [-uid N -gid N]
//
// On Windows (no Unix owners) every file is reported as owned by -uid/-gid (default 0, root).
//
// It prints "listening <address>" once it accepts connections, and ends on SIGTERM/SIGINT (or, with
// -once, when its first connection ends: HyperKit's connection lasts as long as the VM).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	root := flag.String("root", "", "the host folder to share")
	listen := flag.String("listen", "", "unix:<socket path> or tcp:<loopback address:port>")
	readOnly := flag.Bool("ro", false, "refuse every change to the folder")
	msize := flag.Uint("msize", MaxMsizeHyperkit, "the largest message, in bytes (HyperKit takes at most 262144)")
	once := flag.Bool("once", false, "end when the first connection ends")
	uid := flag.Uint("uid", 0, "the owner reported for every file where the host has none (Windows)")
	gid := flag.Uint("gid", 0, "the group reported for every file where the host has none (Windows)")
	flag.Parse()
	if *root == "" || *listen == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: berth-ninep-server -root DIR -listen unix:PATH|tcp:127.0.0.1:PORT [-ro] [-msize N] [-once] [-uid N -gid N]")
		os.Exit(2)
	}
	srv, err := NewServer(*root, *readOnly, uint32(*msize))
	if err != nil {
		fail(err)
	}
	srv.SetOwner(uint32(*uid), uint32(*gid))
	srv.Log = func(format string, a ...interface{}) {
		fmt.Fprintf(os.Stderr, "berth-ninep-server: "+format+"\n", a...)
	}
	l, cleanup, err := listenOn(*listen)
	if err != nil {
		fail(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		cleanup()
		os.Exit(0)
	}()
	fmt.Printf("listening %s\n", l.Addr())
	err = srv.Serve(l, *once)
	cleanup()
	if err != nil && !*once {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "berth-ninep-server: %v\n", err)
	os.Exit(1)
}

// listenOn opens the listener: a unix socket only its owner can connect to (a stale socket file is
// replaced, a live one refused), or a TCP address on the loopback interface only.
func listenOn(spec string) (net.Listener, func(), error) {
	switch {
	case strings.HasPrefix(spec, "unix:"):
		path := strings.TrimPrefix(spec, "unix:")
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, nil, fmt.Errorf("something already serves %s; stop it first", path)
		}
		os.Remove(path)
		var l net.Listener
		var err error
		ownerOnly(func() { l, err = net.Listen("unix", path) })
		if err != nil {
			return nil, nil, err
		}
		l.(*net.UnixListener).SetUnlinkOnClose(true)
		return l, func() { l.Close() }, nil
	case strings.HasPrefix(spec, "tcp:"):
		addr := strings.TrimPrefix(spec, "tcp:")
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, nil, err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, nil, fmt.Errorf("tcp:%s: only a loopback address may be listened on (the server has no authentication)", addr)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		return l, func() { l.Close() }, nil
	}
	return nil, nil, fmt.Errorf("-listen %q: expected unix:<path> or tcp:<address:port>", spec)
}
