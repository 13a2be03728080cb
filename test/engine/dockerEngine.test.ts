// `docker` from a host shell through Berth: one real VM for the suite, the real docker CLI and
// dockerode through $BERTH_HOME/run/docker.sock (T-10 half-close, T-09 load, T-11 streaming).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fdCount, importTestImage, rssBytes, startBerthHarness, TEST_IMAGE, type Berth } from './engineHarness.ts';

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

  it('cp both ways keeps 200 MB byte for byte', async () => {
    const src = join(scratch, 'big.bin');
    const back = join(scratch, 'back.bin');
    writeFileSync(src, randomBytes(200 * 1024 * 1024));
    const t0 = Date.now();
    await ok(['cp', src, 'sleeper:/tmp/big.bin']);
    await ok(['cp', 'sleeper:/tmp/big.bin', back]);
    figures.cp200MBRoundTripSeconds = (Date.now() - t0) / 1000;
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
    await new Promise((r) => setTimeout(r, 3000));
    const fdsAfter = fdCount(pid);
    figures.berthdFds = `${fdsBefore} → ${fdsAfter}`;
    expect(fdsAfter).toBeLessThanOrEqual(fdsBefore + 2);
  });

  it('T-11: 1 GiB through the socket keeps berthd memory flat', async () => {
    const pid = b.berthdPid()!;
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 200);
    const t0 = Date.now();
    const child = b.spawnDocker(['run', '-i', '--rm', TEST_IMAGE, 'wc', '-c']);
    let out = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    const chunk = randomBytes(1024 * 1024);
    for (let i = 0; i < 1024; i++) {
      if (!child.stdin!.write(chunk)) await new Promise((r) => child.stdin!.once('drain', r));
    }
    child.stdin!.end();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearInterval(sampler);
    const seconds = (Date.now() - t0) / 1000;
    figures.oneGiBSocketMBps = Math.round(1024 / seconds);
    figures.berthdRssMB = `${Math.round(before / 1e6)} → peak ${Math.round(peak / 1e6)}`;
    expect(code).toBe(0);
    expect(out.trim()).toBe(String(1024 * 1024 * 1024));
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
