// processAlive on a process whose leader thread has exited while its other threads still run and hold
// its files (as a multi-threaded QEMU or hvsock-bridge looks for a moment while it exits under load).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketAnswers as accepts } from '../forward/unixSocketClaim.ts';
import { buildGoForTest } from './goTestBuild.ts';
import { processAlive, waitForExit } from './processLiveness.ts';

// The main goroutine sits on the main thread (init locks it there), listens on a unix socket, and then
// ends that thread alone with the raw exit(2): the thread-group leader becomes a zombie while the
// accept loop on another thread keeps the socket open, until the program ends itself after `hold`.
const LEADER_EXITS_FIRST = `package main

import (
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

func init() { runtime.LockOSThread() }

func main() {
	l, err := net.Listen("unix", os.Args[1])
	if err != nil {
		os.Exit(2)
	}
	hold, _ := time.ParseDuration(os.Args[2])
	go func() {
		for {
			if c, err := l.Accept(); err == nil {
				c.Close()
			}
		}
	}()
	go func() {
		time.Sleep(hold)
		os.Exit(0)
	}()
	os.Stdout.WriteString("ready\\n")
	syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
}
`;

let dir: string;
let bin: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-liveness-'));
  writeFileSync(join(dir, 'main.go'), LEADER_EXITS_FIRST);
  bin = buildGoForTest(dir, join(dir, 'leader-exits-first'), { files: ['main.go'] });
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(sock: string, hold: string): Promise<ChildProcess> {
  const child = spawn(bin, [sock, hold], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () => resolve(child));
  });
}

/** Wait until the leader thread is a zombie (its /proc stat says Z) while the process runs on. */
async function leaderZombie(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) {
    if (Date.now() > deadline) throw new Error('the leader thread did not exit');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(process.platform === 'linux')('processAlive', () => {
  it('is true while threads of a process whose leader has exited still hold its socket', async () => {
    const sock = join(dir, 'held.sock');
    const child = await start(sock, '3s');
    try {
      await leaderZombie(child.pid!);
      expect(await accepts(sock), 'the other threads still serve the socket').toBe(true);
      expect(processAlive(child.pid!)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await waitForExit(child.pid!, 10_000)).toBe(true);
  });

  it('turns false once every thread is gone, and then the socket refuses', async () => {
    const sock = join(dir, 'ends.sock');
    const child = await start(sock, '300ms');
    await leaderZombie(child.pid!);
    expect(await waitForExit(child.pid!, 10_000)).toBe(true);
    expect(await accepts(sock)).toBe(false);
  });

  it('is false for a pid that does not exist and true for this process', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 1)).toBe(false);
  });
});
