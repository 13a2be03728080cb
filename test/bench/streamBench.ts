// Owns: the stream figures — 1 GiB (BENCH_STREAM_MIB) from the guest to the host through Berth's Docker
// socket (`docker cp` of a file out of a container) and through Berth's forward of a published port
// (HTTP GET from busybox httpd), against QEMU user-net `hostfwd` (BERTH_BENCH_HOSTFWD) to the same
// guest services: the published port itself, and dockerd's socket behind the bench client's TCP proxy.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { importTestImage, TEST_IMAGE } from '../engine/engineHarness.ts';
import { benchBerth, benchClient } from './benchBerth.ts';
import { REPS, type Comparison } from './benchReport.ts';
import { withVmLock } from './vmLock.ts';

const MIB = Number(process.env.BENCH_STREAM_MIB ?? 1024);
const GUEST_PROXY_PORT = 2375;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Run a host command with stdout drained to nowhere; MB/s of `bytes` over its wall time. */
function timedDrain(cmd: string, args: string[], env: NodeJS.ProcessEnv, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let got = 0;
    let err = '';
    child.stdout.on('data', (d: Buffer) => (got += d.length));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('close', (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0 || got < bytes) reject(new Error(`${cmd} ${args.join(' ')} exited ${code} after ${got} of ${bytes} bytes: ${err.trim()}`));
      else resolve(bytes / 1e6 / s);
    });
  });
}

export async function streamSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const client = benchClient();
  // The container publishes a port that is free on the host, so Berth's forward can listen on it.
  const [pubPort, fwdPort, fwdApiPort] = [await freePort(), await freePort(), await freePort()];
  const b = benchBerth('bench-streams', { BERTH_BENCH_HOSTFWD: `${fwdPort}:${pubPort},${fwdApiPort}:${GUEST_PROXY_PORT}` });
  const bytes = MIB * 1024 * 1024;
  const v = { portBerth: [] as number[], portFwd: [] as number[], sockBerth: [] as number[], sockFwd: [] as number[] };
  let hostPort = 0;
  try {
    await withVmLock('the stream figures', async () => {
      await b.timedStart();
      await importTestImage(b);
      await b.sh('mkdir -p /tmp/bench');
      await b.upload(client, '/tmp/bench/benchclient');
      // dockerd's socket on a guest TCP port for the hostfwd baseline (setsid: it outlives the exec stream).
      await b.sh(`setsid /tmp/bench/benchclient proxy -listen 0.0.0.0:${GUEST_PROXY_PORT} -to /var/run/docker.sock </dev/null >/tmp/bench/proxy.log 2>&1 &`);
      // The file is in the container's own layer (docker cp cannot read a tmpfs mount of a container).
      const run = await b.docker(['run', '-d', '--name', 'bench-srv', '-p', `${pubPort}:80`, TEST_IMAGE, 'sh', '-c', `dd if=/dev/zero of=/data/big bs=1M count=${MIB} 2>/dev/null && exec httpd -f -p 80 -h /data`]);
      if (run.code !== 0) throw new Error(`docker run of the stream server failed: ${run.stderr}`);
      // Berth's forward listens on the host port the container published.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const ps = await b.docker(['port', 'bench-srv', '80/tcp']);
        hostPort = Number(/:(\d+)\s*$/m.exec(ps.stdout)?.[1] ?? 0);
        const probe = hostPort ? await b.docker(['exec', 'bench-srv', 'test', '-f', '/data/big']) : undefined;
        const up = hostPort ? spawnOk('curl', ['-sf', '-o', '/dev/null', '-r', '0-0', `http://127.0.0.1:${hostPort}/big`]) : Promise.resolve(false);
        if (probe?.code === 0 && (await up)) break;
        if (Date.now() > deadline) throw new Error(`the published port did not answer on the host within 120 s (docker port: ${ps.stdout.trim()})`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const fwdEnv = { ...b.env, DOCKER_HOST: `tcp://127.0.0.1:${fwdApiPort}` };
      const curl = (port: number): Promise<number> => timedDrain('curl', ['-sf', `http://127.0.0.1:${port}/big`], b.env, bytes);
      const cp = (env: NodeJS.ProcessEnv): Promise<number> => timedDrain('docker', ['cp', 'bench-srv:/data/big', '-'], env, bytes);
      for (let rep = 0; rep < REPS; rep++) {
        const steps: [() => Promise<number>, number[]][] = [
          [() => curl(hostPort), v.portBerth],
          [() => curl(fwdPort), v.portFwd],
          [() => cp(b.env), v.sockBerth],
          [() => cp(fwdEnv), v.sockFwd],
        ];
        if (rep % 2 === 1) steps.reverse();
        for (const [f, into] of steps) into.push(await f());
        const l = (x: number[]): string => x.at(-1)!.toFixed(1);
        console.log(`  rep ${rep + 1}: port ${l(v.portBerth)} vs hostfwd ${l(v.portFwd)} MB/s; socket ${l(v.sockBerth)} vs hostfwd ${l(v.sockFwd)} MB/s`);
      }
    });
  } finally {
    await b.cleanup();
  }
  return {
    comparisons: [
      { figure: `${MIB} MiB from a published port (HTTP GET)`, unit: 'MB/s', berth: v.portBerth, baseline: v.portFwd, baselineName: 'QEMU user-net hostfwd' },
      { figure: `${MIB} MiB through the Docker socket (docker cp)`, unit: 'MB/s', berth: v.sockBerth, baseline: v.sockFwd, baselineName: 'QEMU user-net hostfwd + TCP proxy to dockerd' },
    ],
    details: { mib: MIB, hostPort, hostfwd: { port: `${fwdPort}->${pubPort}`, api: `${fwdApiPort}->${GUEST_PROXY_PORT} (bench client proxy -> /var/run/docker.sock)` }, server: 'busybox httpd in a container serving a file of its own layer; docker cp of the same file' },
  };
}

function spawnOk(cmd: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('close', (code) => resolve(code === 0));
    c.on('error', () => resolve(false));
  });
}
