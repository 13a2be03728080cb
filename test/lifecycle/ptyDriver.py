# Drives a program under a real pseudo-terminal for the lifecycle tests (Node has no pty): runs the
# argv after "--", follows steps [{"expect": regex, "send": text, "rows": n, "cols": n}] read as JSON.
import json, os, pty, re, select, struct, sys, time, fcntl, termios

steps = json.loads(sys.argv[1])
argv = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

out = b''
def read_until(pattern, timeout):
    global out
    deadline = time.time() + timeout
    while True:
        if pattern is not None and re.search(pattern.encode(), out):
            return True
        left = deadline - time.time()
        if left <= 0:
            return pattern is None
        r, _, _ = select.select([fd], [], [], min(left, 0.2))
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            out += data

for step in steps:
    if 'rows' in step:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', step['rows'], step['cols'], 0, 0))
    if 'sleep' in step:
        read_until(None, step['sleep'])
    if 'send' in step:
        os.write(fd, step['send'].encode())
    if 'expect' in step and not read_until(step['expect'], step.get('timeout', 60)):
        sys.stdout.write(out.decode('utf-8', 'replace'))
        sys.stdout.write('\nPTY-DRIVER: timed out waiting for %r\n' % step['expect'])
        os.kill(pid, 9)
        sys.exit(90)

deadline = time.time() + 30
while time.time() < deadline:  # drain until EOF: the program closed the terminal
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.stdout.write('\nPTY-DRIVER-EXIT %d\n' % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)))
