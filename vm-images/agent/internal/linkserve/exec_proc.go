// Package linkserve is the agent's end of the guest link: it serves the host's streams (docker, tcp:<port>, rpc, exec).
// This file owns starting, signalling and reaping an exec target's process: request checks, PATH, env, pty or pipes.
package linkserve

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// execPath is the PATH of every exec'd process and where a bare argv[0] is looked up.
const execPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// execRequest is the S message's JSON.
type execRequest struct {
	Argv []string `json:"argv"`
	TTY  bool     `json:"tty"`
	Rows int      `json:"rows"`
	Cols int      `json:"cols"`
	Env  []string `json:"env"`
	Cwd  string   `json:"cwd"`
}

// execProc is a started process and the agent's ends of its stdio.
type execProc struct {
	proc   *os.Process
	pty    *ptyPair // nil without a tty
	stdin  *os.File // where stdin bytes go: the stdin pipe, or the pty master
	stdout *os.File // the stdout pipe, or the pty master
	stderr *os.File // the stderr pipe; nil with a tty

	mu     sync.Mutex
	exited bool // the process is a zombie or reaped: its pid (= process group id) may not be signalled
}

// startExec starts the request's process. Its errors are the F message's text.
func startExec(req execRequest) (*execProc, error) {
	if len(req.Argv) == 0 || req.Argv[0] == "" {
		return nil, fmt.Errorf(`exec needs a program: give "argv" with at least the program, e.g. ["/bin/sh","-c","echo hi"]`)
	}
	for _, a := range req.Argv {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("argv entry %q contains a NUL byte; remove it", truncate(a, 100))
		}
	}
	path, err := lookProgram(req.Argv[0])
	if err != nil {
		return nil, err
	}
	env, err := execEnv(req.TTY, req.Env)
	if err != nil {
		return nil, err
	}
	dir, err := execDir(req.Cwd)
	if err != nil {
		return nil, err
	}
	p := &execProc{}
	attr := &os.ProcAttr{Dir: dir, Env: env}
	var childEnds []*os.File
	if req.TTY {
		rows, cols, err := termSize(req.Rows, req.Cols)
		if err != nil {
			return nil, err
		}
		if p.pty, err = openPTY(rows, cols); err != nil {
			return nil, err
		}
		p.stdin, p.stdout = p.pty.master, p.pty.master
		childEnds = []*os.File{p.pty.slave}
		attr.Files = []*os.File{p.pty.slave, p.pty.slave, p.pty.slave}
		attr.Sys = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	} else {
		var inR, outW, errW *os.File
		if inR, p.stdin, err = os.Pipe(); err == nil {
			if p.stdout, outW, err = os.Pipe(); err == nil {
				p.stderr, errW, err = os.Pipe()
			}
		}
		childEnds = []*os.File{inR, outW, errW}
		if err != nil {
			closeFiles(childEnds...)
			p.closeStdio()
			return nil, fmt.Errorf("creating pipes for the process's stdio: %w", err)
		}
		attr.Files = childEnds
		attr.Sys = &syscall.SysProcAttr{Setpgid: true}
	}
	p.proc, err = os.StartProcess(path, req.Argv, attr)
	closeFiles(childEnds...) // the child has its own copies; ours would hide its EOF
	if err != nil {
		p.closeStdio()
		return nil, fmt.Errorf("starting %s: %v", path, unwrapPathError(err))
	}
	return p, nil
}

// lookProgram resolves argv[0]: a name with a slash is used as it is, a bare name is looked up in execPath.
func lookProgram(name string) (string, error) {
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", fmt.Errorf("cannot run %s in the guest: %v", name, err)
		}
		return name, nil
	}
	for _, dir := range filepath.SplitList(execPath) {
		path := filepath.Join(dir, name)
		if checkExecutable(path) == nil {
			return path, nil
		}
	}
	// The image links only a few busybox applets; the rest (cat, ls, df …) are run through busybox,
	// which picks the applet from argv[0], as its own shell does.
	if busyboxHas(name) {
		return busyboxPath, nil
	}
	return "", fmt.Errorf("program %q not found in the guest's PATH (%s); give its full path or install it in the VM", truncate(name, 200), execPath)
}

// busyboxPath is the guest's busybox; tests point it elsewhere.
var busyboxPath = "/bin/busybox"

var (
	appletsOnce sync.Once
	applets     map[string]bool
)

// busyboxHas says whether busybox at busyboxPath has the applet (its --list, read once).
func busyboxHas(name string) bool {
	appletsOnce.Do(func() {
		applets = map[string]bool{}
		out, err := exec.Command(busyboxPath, "--list").Output()
		if err != nil {
			return
		}
		for _, a := range strings.Fields(string(out)) {
			applets[a] = true
		}
	})
	return applets[name]
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return unwrapPathError(err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("it is not a regular file (mode %v)", fi.Mode())
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("it is not executable (mode %v)", fi.Mode().Perm())
	}
	return nil
}

// execEnv is the base environment (PATH, HOME, TERM with a tty) with the request's entries added;
// a later entry replaces an earlier one of the same name.
func execEnv(tty bool, extra []string) ([]string, error) {
	env := []string{"PATH=" + execPath, "HOME=/root"}
	if tty {
		env = append(env, "TERM=xterm-256color")
	}
	for _, kv := range extra {
		if i := strings.IndexByte(kv, '='); i <= 0 || strings.IndexByte(kv, 0) >= 0 {
			return nil, fmt.Errorf("env entry %q is not NAME=value (without NUL bytes); fix or drop it", truncate(kv, 100))
		}
	}
	env = append(env, extra...)
	index := map[string]int{}
	var out []string
	for _, kv := range env {
		name := kv[:strings.IndexByte(kv, '=')]
		if i, ok := index[name]; ok {
			out[i] = kv
			continue
		}
		index[name] = len(out)
		out = append(out, kv)
	}
	return out, nil
}

// execDir is the working directory: the request's, or /root, or / when /root is missing.
func execDir(cwd string) (string, error) {
	if cwd == "" {
		if fi, err := os.Stat("/root"); err == nil && fi.IsDir() {
			return "/root", nil
		}
		return "/", nil
	}
	fi, err := os.Stat(cwd)
	if err != nil {
		return "", fmt.Errorf("working directory %s: %v; give an existing directory as cwd, or omit it for /root", truncate(cwd, 200), unwrapPathError(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("working directory %s is not a directory; give a directory as cwd, or omit it for /root", truncate(cwd, 200))
	}
	return cwd, nil
}

// termSize applies the 24x80 defaults to an omitted (0) size and checks the u16 range.
func termSize(rows, cols int) (uint16, uint16, error) {
	if rows == 0 {
		rows = 24
	}
	if cols == 0 {
		cols = 80
	}
	if rows < 1 || rows > 0xffff || cols < 1 || cols > 0xffff {
		return 0, 0, fmt.Errorf("terminal size %dx%d is out of range; rows and cols must be 1–65535", rows, cols)
	}
	return uint16(rows), uint16(cols), nil
}

// signal sends sig to the process group, unless the process already exited (its id may be reused).
func (p *execProc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return nil
	}
	return syscall.Kill(-p.proc.Pid, sig)
}

// wait blocks until the process exits, marks it exited before reaping it (so signal never hits a
// reused id), and reaps it.
func (p *execProc) wait() syscall.WaitStatus {
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, 1 /* P_PID */, uintptr(p.proc.Pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			break
		}
	}
	p.mu.Lock()
	p.exited = true
	p.mu.Unlock()
	state, err := p.proc.Wait()
	if err != nil {
		return syscall.WaitStatus(255 << 8)
	}
	return state.Sys().(syscall.WaitStatus)
}

// closeStdio closes the agent's ends of the process's stdio (the pty master once).
func (p *execProc) closeStdio() {
	if p.pty != nil {
		closeFiles(p.pty.master)
		return
	}
	closeFiles(p.stdin, p.stdout, p.stderr)
}

func closeFiles(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// exitInfo is the X message: the exit code (128+n after signal n) and the signal's name or nil.
type exitInfo struct {
	Code   int     `json:"code"`
	Signal *string `json:"signal"`
}

func exitInfoOf(ws syscall.WaitStatus) exitInfo {
	if ws.Signaled() {
		name := signalName(ws.Signal())
		return exitInfo{Code: 128 + int(ws.Signal()), Signal: &name}
	}
	return exitInfo{Code: ws.ExitStatus()}
}

var signalNames = [...]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
	9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
	16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
	23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
	30: "SIGPWR", 31: "SIGSYS",
}

// signalName is the Linux name of sig: SIGKILL, SIGRTMIN+3, or SIG<n> for anything else.
func signalName(sig syscall.Signal) string {
	n := int(sig)
	switch {
	case n > 0 && n < len(signalNames):
		return signalNames[n]
	case n >= 34 && n <= 64:
		return fmt.Sprintf("SIGRTMIN+%d", n-34)
	}
	return fmt.Sprintf("SIG%d", n)
}
