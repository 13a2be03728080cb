// `docker` from a host shell through Berth: one real VM for the suite, the real docker CLI and
// dockerode through $BERTH_HOME/run/docker.sock (T-10 half-close, T-09 load, T-11 a 1 GiB build context).
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fdCount, importTestImage, onGuestAgent, rssBytes, startBerthHarness, TEST_IMAGE, type Berth } from './engineHarness.ts';

let b: Berth;
const figures: Record<string, string | number> = {};
const scratch = mkdtempSync(join(tmpdir(), 'berth-engine-files-'));

const sha256 = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });

async function ok(args: string[], input?: string): Promise<string> {
  const r = await b.docker(args, input === undefined ? {} : { input });
  expect(r.code, `docker ${args.join(' ')} failed: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  b = startBerthHarness('engine');
  const t0 = Date.now();
  const r = await b.berth(['start'], { timeoutMs: 400_000 });
  figures.startSeconds = (Date.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`berth start failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toContain('docker context use berth');
  expect(r.stdout).toContain(`DOCKER_HOST=unix://${b.paths.dockerSocket}`);
  await importTestImage(b);
}, 600_000);

afterAll(async () => {
  console.log(`engine figures: ${JSON.stringify(figures)}`);
  await b?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe('berth start / status', () => {
  it('status --json reports running, the accel and why, the QEMU pid, docker version and socket', async () => {
    const r = await b.berth(['status', '--json']);
    const s = JSON.parse(r.stdout) as { state: string; pid: number; accel: { accel: string; why: string }; dockerVersion: string; dockerSocket: string };
    expect(s.state).toBe('running');
    expect(s.pid).toBeGreaterThan(1);
    expect(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8')).toContain('qemu-system-x86_64');
    expect(s.dockerVersion).toMatch(/^20\.10\./);
    expect(s.dockerSocket).toBe(b.paths.dockerSocket);
    expect(['kvm', 'tcg']).toContain(s.accel.accel);
    expect(s.accel.why).toMatch(/^auto: /);
    figures.accel = `${s.accel.accel}: ${s.accel.why}`;
    expect((statSync(b.paths.dockerSocket).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(b.paths.socketDir).mode & 0o777).toString(8)).toBe('700');
  });

  it('wrote a docker context named berth without switching the current one', async () => {
    expect((await ok(['context', 'inspect', 'berth', '--format', '{{.Endpoints.docker.Host}}'])).trim()).toBe(`unix://${b.paths.dockerSocket}`);
    expect((await ok(['context', 'show'])).trim()).toBe('default');
  });

  it('a second berth start talks to the running berthd and returns at once', async () => {
    const pid = b.berthdPid();
    const r = await b.berth(['start']);
    expect(r.code).toBe(0);
    expect(b.berthdPid()).toBe(pid);
  });
});

describe('everyday docker CLI through the socket', () => {
  it('run prints the container output and passes the exit code', async () => {
    expect((await ok(['run', '--rm', TEST_IMAGE, 'echo', 'hello from berth'])).trim()).toBe('hello from berth');
    const r = await b.docker(['run', '--rm', TEST_IMAGE, 'sh', '-c', 'exit 7']);
    expect(r.code).toBe(7);
  });

  it('T-10: `echo hi | docker run -i img cat` prints hi and exits (half-close)', async () => {
    const t0 = Date.now();
    expect(await ok(['run', '-i', '--rm', TEST_IMAGE, 'cat'], 'hi\n')).toBe('hi\n');
    figures.runCatSeconds = (Date.now() - t0) / 1000;
  });

  it('run -it works on a terminal and passes the exit code', async () => {
    // util-linux `script` gives docker a real pseudo-terminal, as a user's shell would.
    const child = spawn('script', ['-qec', `docker run -it --rm ${TEST_IMAGE} sh -c 'tty; exit 3'`, '/dev/null'], { env: b.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(out).toContain('/dev/pts/0');
    expect(code).toBe(3);
  });

  it('exec and exec -i with stdin EOF (T-10)', async () => {
    await ok(['run', '-d', '--name', 'sleeper', TEST_IMAGE, 'sleep', '3600']);
    expect((await ok(['exec', 'sleeper', 'echo', 'in the container'])).trim()).toBe('in the container');
    expect(await ok(['exec', '-i', 'sleeper', 'cat'], 'through exec -i\n')).toBe('through exec -i\n');
  });

  it('attach streams a running container output', async () => {
    await ok(['run', '-d', '--name', 'ticker', TEST_IMAGE, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done']);
    const child = b.spawnDocker(['attach', '--no-stdin', 'ticker']);
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no output from docker attach in 20 s')), 20_000);
      child.stdout?.on('data', (d) => {
        const m = /tick \d+/.exec(String(d));
        if (!m) return;
        clearTimeout(t);
        resolve(m[0]);
      });
    });
    child.kill('SIGKILL');
    expect(line).toMatch(/^tick \d+$/);
  });

  it('logs -f streams lines as they are written', async () => {
    const child = b.spawnDocker(['logs', '-f', 'ticker']);
    const seen: number[] = [];
    const arrivals: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`logs -f gave only ${seen.length} lines in 30 s`)), 30_000);
      child.stdout?.on('data', (d) => {
        for (const m of String(d).matchAll(/tick (\d+)/g)) {
          seen.push(Number(m[1]));
          arrivals.push(Date.now());
        }
        const fresh = arrivals.filter((a) => a > arrivals[0]! + 100).length;
        if (fresh < 3) return;
        clearTimeout(t);
        resolve();
      });
    });
    child.kill('SIGKILL');
    // Lines keep arriving after the backlog: the stream is live, in order.
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan(500);
  });

  it('cp both ways keeps 64 MB byte for byte (a thousand DATA frames each way; T-11 sends 1 GiB)', async () => {
    const src = join(scratch, 'big.bin');
    const back = join(scratch, 'back.bin');
    writeFileSync(src, randomBytes(64 * 1024 * 1024));
    const t0 = Date.now();
    await ok(['cp', src, 'sleeper:/tmp/big.bin']);
    await ok(['cp', 'sleeper:/tmp/big.bin', back]);
    figures.cp64MBRoundTripSeconds = (Date.now() - t0) / 1000;
    expect(await sha256(back)).toBe(await sha256(src));
    await ok(['exec', 'sleeper', 'rm', '/tmp/big.bin']);
    rmSync(src);
    rmSync(back);
  });

  it('build FROM a local image produces an image that runs', async () => {
    const ctx = mkdtempSync(join(scratch, 'ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY message /message\nRUN echo built >> /message\nCMD ["cat", "/message"]\n`);
    writeFileSync(join(ctx, 'message'), 'copied\n');
    await ok(['build', '-q', '-t', 'berth-test/built', ctx]);
    expect(await ok(['run', '--rm', 'berth-test/built'])).toBe('copied\nbuilt\n');
  });

  it('save, rmi, load and import round-trip an image', async () => {
    const tar = join(scratch, 'built.tar');
    await ok(['save', '-o', tar, 'berth-test/built']);
    await ok(['rmi', 'berth-test/built']);
    expect((await b.docker(['image', 'inspect', 'berth-test/built'])).code).not.toBe(0);
    expect(await ok(['load', '-i', tar])).toContain('berth-test/built');
    expect(await ok(['run', '--rm', 'berth-test/built'])).toBe('copied\nbuilt\n');
  });

  it('events, stats, ps and rm', async () => {
    const events = b.spawnDocker(['events', '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    let evOut = '';
    events.stdout?.on('data', (d) => (evOut += String(d)));
    await new Promise((r) => setTimeout(r, 1000));
    await ok(['run', '--rm', '--name', 'evented', TEST_IMAGE, 'true']);
    await new Promise((r) => setTimeout(r, 1500));
    events.kill('SIGKILL');
    expect(evOut).toContain('start evented');
    expect(evOut).toContain('die evented');
    expect(await ok(['stats', '--no-stream', '--format', '{{.Name}}'])).toContain('sleeper');
    const ps = await ok(['ps', '--format', '{{.Names}}']);
    expect(ps).toContain('sleeper');
    await ok(['rm', '-f', 'ticker']);
    expect(await ok(['ps', '-a', '--format', '{{.Names}}'])).not.toContain('ticker');
  });

  it('volumes keep data between containers', async () => {
    await ok(['volume', 'create', 'berth-vol']);
    await ok(['run', '--rm', '-v', 'berth-vol:/data', TEST_IMAGE, 'sh', '-c', 'echo kept > /data/f']);
    expect(await ok(['run', '--rm', '-v', 'berth-vol:/data', TEST_IMAGE, 'cat', '/data/f'])).toBe('kept\n');
    await ok(['volume', 'rm', 'berth-vol']);
  });

  it('user networks resolve containers by name', async () => {
    await ok(['network', 'create', 'berth-net']);
    await ok(['run', '-d', '--name', 'named-peer', '--network', 'berth-net', TEST_IMAGE, 'sleep', '3600']);
    const r = await ok(['run', '--rm', '--network', 'berth-net', TEST_IMAGE, 'ping', '-c', '1', '-W', '5', 'named-peer']);
    expect(r).toMatch(/1 packets received/);
    await ok(['rm', '-f', 'named-peer']);
    await ok(['network', 'rm', 'berth-net']);
  });

  it('dockerode: list, and an attach hijack with stdin half-close (T-10)', async () => {
    const docker = new Docker({ socketPath: b.paths.dockerSocket });
    const names = (await docker.listContainers()).flatMap((c) => c.Names);
    expect(names).toContain('/sleeper');
    const c = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, Tty: false });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, hijack: true });
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += String(d)));
    docker.modem.demuxStream(stream, out, out);
    await c.start();
    stream.end('via dockerode\n');
    const exit = (await c.wait()) as { StatusCode: number };
    await c.remove();
    expect(exit.StatusCode).toBe(0);
    expect(text).toBe('via dockerode\n');
  });
});

/**
 * Read `read` every second until `good` holds or 60 s pass; the last value. Streams a client dropped wind
 * down through the guest (dockerd ends the response, the agent closes, then berthd), which under a
 * loaded TCG guest takes seconds: a leak never settles, a slow release does.
 */
async function settle<T>(read: () => T | Promise<T>, good: (v: T) => boolean): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    const v = await read();
    if (good(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('load and streams', () => {
  it('T-09: 200 parallel docker ps with 10 events and 10 logs -f held for 30 s; no fd growth in berthd', async () => {
    const pid = b.berthdPid()!;
    const fdsBefore = fdCount(pid);
    const held = [...Array(10)].map(() => b.spawnDocker(['events'])).concat([...Array(10)].map(() => b.spawnDocker(['logs', '-f', 'sleeper'])));
    const t0 = Date.now();
    const results = await Promise.all([...Array(200)].map(() => b.docker(['ps', '-q'], { timeoutMs: 180_000 })));
    figures.parallelPs200Seconds = (Date.now() - t0) / 1000;
    const failed = results.filter((r) => r.code !== 0);
    expect(failed.map((f) => f.stderr).slice(0, 3)).toEqual([]);
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - t0))));
    for (const h of held) expect(h.exitCode, 'held streams stay open').toBeNull();
    for (const h of held) h.kill('SIGKILL');
    const fdsAfter = await settle(() => fdCount(pid), (n) => n <= fdsBefore + 2);
    figures.berthdFds = `${fdsBefore} → ${fdsAfter}`;
    expect(fdsAfter).toBeLessThanOrEqual(fdsBefore + 2);
  });

  /** A build context of 1 GiB of random bytes, then a small token file the tar carries after it. */
  const bigContext = (): { dir: string; token: string } => {
    const dir = mkdtempSync(join(scratch, 'ctx-1gib-'));
    const piece = Buffer.alloc(1024 * 1024);
    const fd = openSync(join(dir, 'a-random.bin'), 'w');
    for (let i = 0; i < 1024; i++) writeSync(fd, randomFillSync(piece));
    closeSync(fd);
    // The CLI tars the context in name order: Dockerfile, a-random.bin, then z-token.txt.
    const token = randomBytes(8).toString('hex');
    writeFileSync(join(dir, 'z-token.txt'), token);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY z-token.txt /token\nCMD ["cat", "/token"]\n`);
    return { dir, token };
  };
  let context: { dir: string; token: string } | undefined;

  /** Open fds of the guest agent that serves the link (`berth-agent serve`), read inside the VM. */
  const agentFds = async (): Promise<number> => Number(await onGuestAgent(b, 'ls /proc/$p/fd | wc -l'));

  it('T-11: a build cancelled mid-upload leaves no stuck connection in berthd or the guest agent', async () => {
    context = bigContext();
    const pid = b.berthdPid()!;
    const fdsBefore = fdCount(pid);
    const agentBefore = await agentFds();
    expect(agentBefore).toBeGreaterThan(0);
    // The CLI reports no upload progress when its output is not a terminal; the bytes it has written
    // (its /proc io counter: the socket, and a few lines of output) show how far the upload got.
    const child = b.spawnDocker(['build', '-t', 'berth-test/t11-cancelled', context.dir]);
    let said = '';
    child.stderr?.on('data', (d) => (said += String(d)));
    const sentMB = (): number => {
      try {
        return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))?.[1] ?? 0) / 1e6;
      } catch {
        return 0;
      }
    };
    const deadline = Date.now() + 120_000;
    while (sentMB() < 64 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(sentMB(), `the upload did not pass 64 MB in 2 minutes: ${said.slice(-300)}`).toBeGreaterThanOrEqual(64);
    figures.t11CancelledAtMB = Math.round(sentMB());
    child.kill('SIGINT'); // Ctrl-C, as a user would
    const ended = await Promise.race([
      new Promise<boolean>((r) => (child.exitCode === null ? child.on('close', () => r(true)) : r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 30_000)),
    ]);
    if (!ended) child.kill('SIGKILL');
    expect(ended, 'docker build ends within 30 s of Ctrl-C').toBe(true);
    const fdsAfter = await settle(() => fdCount(pid), (n) => n <= fdsBefore);
    const agentAfter = await settle(agentFds, (n) => n <= agentBefore);
    figures.t11CancelFds = `berthd ${fdsBefore} → ${fdsAfter}, agent ${agentBefore} → ${agentAfter}`;
    expect(fdsAfter).toBeLessThanOrEqual(fdsBefore);
    expect(agentAfter).toBeLessThanOrEqual(agentBefore);
    const t0 = Date.now();
    expect((await b.docker(['version'])).code, 'the socket answers after the cancel').toBe(0);
    figures.t11VersionAfterCancelMs = Date.now() - t0;
    expect((await b.docker(['image', 'inspect', 'berth-test/t11-cancelled'])).code, 'the cancelled build made no image').not.toBe(0);
  });

  it('T-11: docker build with a 1 GiB random context gets all of it to the engine; berthd memory stays flat', async () => {
    const { dir, token } = context ?? bigContext();
    const pid = b.berthdPid()!;
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 200);
    const t0 = Date.now();
    const r = await b.docker(['build', '-q', '-t', 'berth-test/t11', dir], { timeoutMs: 900_000 });
    clearInterval(sampler);
    const seconds = (Date.now() - t0) / 1000;
    figures.oneGiBBuildContextMBps = Math.round((1024 / seconds) * 10) / 10;
    figures.berthdRssMB = `${Math.round(before / 1e6)} → peak ${Math.round(peak / 1e6)}`;
    expect(r.code, r.stderr).toBe(0);
    // The token file came after the 1 GiB in the tar: the image holds it only if every byte arrived.
    expect(await ok(['run', '--rm', 'berth-test/t11'])).toBe(token);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    rmSync(dir, { recursive: true, force: true });
  });
});
