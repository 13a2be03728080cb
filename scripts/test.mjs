// `npm test`: the whole suite — type-check, lint, the Go tests, the VM image build, the app build, then
// vitest (unit + real-VM suites). Ends with one plain line "N passed, N failed"; non-zero on any failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
const problems = [];

/**
 * One lane of steps run one after another; lanes run side by side before vitest (they touch different
 * files), so each lane keeps its output and prints it whole when it ends, each step with its time.
 */
function lane(name) {
  let out = '';
  const write = (s) => (out += s);
  return {
    write,
    /** Run a command, its output kept for the lane; onStdout (optional) sees stdout instead. */
    run(label, cmd, args, opts = {}) {
      const t0 = Date.now();
      write(`\n=== ${label}: ${cmd} ${args.join(' ')}\n`);
      return new Promise((resolve) => {
        const child = spawn(cmd, args, { cwd: opts.cwd ?? root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
        child.stdout.on('data', (d) => (opts.onStdout ? opts.onStdout(String(d)) : write(String(d))));
        child.stderr.on('data', (d) => write(String(d)));
        const done = (code) => {
          write(`--- ${label}: ${code === 0 ? 'ok' : `exit ${code}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
          resolve({ code });
        };
        child.on('error', (e) => (write(`${e}\n`), done(127)));
        child.on('close', (code) => done(code ?? 1));
      });
    },
    async step(label, cmd, args, opts) {
      const r = await this.run(label, cmd, args, opts);
      if (r.code !== 0) {
        failed++;
        problems.push(label);
      } else passed++;
      return r;
    },
    flush() {
      process.stdout.write(`\n##### ${name}${out}`);
    },
  };
}

// Go: count each test of the agent, the hvsock bridge and the 9P server as one result.
// -trimpath as the image builder and the app build use it: the standard library compiled here for the vets
// and tests is then the one they find in the shared cache, instead of each compiling its own.
const goEnv = { CGO_ENABLED: '0', GOPROXY: 'off', GOFLAGS: '-buildvcs=false -trimpath', GOCACHE: join(root, 'vm-images/.cache/go-build') };

async function goTest(l, dir, tags) {
  let buf = '';
  const counts = { pass: 0, fail: 0 };
  // Each test's output is kept until it ends, and printed whole if it failed: its t.Fatalf says why.
  const outputs = new Map();
  const onStdout = (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const ev = JSON.parse(line);
        const key = `${ev.Package} ${ev.Test}`;
        if (ev.Test && ev.Action === 'output') outputs.set(key, (outputs.get(key) ?? '') + (ev.Output ?? ''));
        if (ev.Test && ev.Action === 'fail') l.write(outputs.get(key) ?? `--- FAIL: ${ev.Test}\n`);
        if (ev.Test && (ev.Action === 'pass' || ev.Action === 'fail' || ev.Action === 'skip')) outputs.delete(key);
        if (ev.Test && !ev.Test.includes('/') && (ev.Action === 'pass' || ev.Action === 'fail')) counts[ev.Action]++;
        if (!ev.Test && ev.Action === 'output' && /^(FAIL|panic)/.test(ev.Output ?? '')) l.write(ev.Output);
      } catch {
        /* non-JSON build output */
      }
    }
  };
  const r = await l.run(`go test (${dir}${tags ? `, -tags ${tags}` : ''})`, 'go', ['test', '-json', ...(tags ? ['-tags', tags] : []), './...'], { cwd: join(root, dir), env: goEnv, onStdout });
  return { code: r.code, counts };
}

let lintDone;
const linted = new Promise((resolve) => (lintDone = resolve));

async function checksLane() {
  const l = lane('lint and type-check');
  await l.step('lint', 'npx', ['eslint', '.']);
  lintDone();
  await l.step('typecheck', 'npx', ['tsc', '-b']);
  return l;
}

async function goLane() {
  const l = lane('Go: vet and tests');
  // The 9P server once more with -tags ninepportable: its Windows host (hostfs_portable.go) on Linux.
  for (const [dir, tags] of [['vm-images/agent'], ['helpers/hvsock-bridge'], ['helpers/ninep-server'], ['helpers/ninep-server', 'ninepportable']]) {
    const label = `${dir}${tags ? ` -tags ${tags}` : ''}`;
    await l.step(`go vet (${label})`, 'go', ['vet', ...(tags ? ['-tags', tags] : []), './...'], { env: goEnv, cwd: join(root, dir) });
    const goRun = await goTest(l, dir, tags);
    passed += goRun.counts.pass;
    failed += goRun.counts.fail;
    if (goRun.code !== 0 && goRun.counts.fail === 0) {
      failed++;
      problems.push(`go test ${label} (build or setup)`);
    }
    l.write(`go test ${label}: ${goRun.counts.pass} passed, ${goRun.counts.fail} failed\n`);
  }
  // The hvsock bridge runs on Windows hosts only: it must vet and cross-compile for windows/amd64.
  const winEnv = { ...goEnv, GOOS: 'windows', GOARCH: 'amd64' };
  await l.step('go vet (hvsock-bridge, windows/amd64)', 'go', ['vet', '.'], { env: winEnv, cwd: join(root, 'helpers/hvsock-bridge') });
  // The 9P server runs beside HyperKit on Intel Macs and for Hyper-V's shares on Windows: it must vet
  // (tests included) for darwin/amd64 and windows/amd64; the app build cross-compiles both.
  const macEnv = { ...goEnv, GOOS: 'darwin', GOARCH: 'amd64' };
  await l.step('go vet (ninep-server, darwin/amd64)', 'go', ['vet', '.'], { env: macEnv, cwd: join(root, 'helpers/ninep-server') });
  await l.step('go vet (ninep-server, windows/amd64)', 'go', ['vet', '.'], { env: winEnv, cwd: join(root, 'helpers/ninep-server') });
  return l;
}

let imageBuilt = false;
async function buildLane() {
  const l = lane('VM image and app build');
  imageBuilt = (await l.step('VM image', 'npm', ['run', '--silent', 'vm:build'])).code === 0;
  await linted; // the renderer build writes a transient vite.config.*.mjs that ESLint must not be walking past
  // The app's bundles, the Go helpers cross-compiled for each host (hvsock-bridge.exe and
  // berth-ninep-server.exe for windows/amd64, berth-ninep-server for darwin/amd64 and linux), the
  // renderer: the e2e suite serves renderer/dist, the packaging test reads dist/.
  await l.step('app build (bundles, Go helpers, renderer, icons check)', 'npm', ['run', '--silent', 'build']);
  return l;
}

const only = process.argv.slice(2);
const t0 = Date.now();
process.stdout.write('=== lint and type-check, Go vet and tests, VM image and app build: side by side, each printed when done\n');
await Promise.all([checksLane(), goLane(), buildLane()].map((p) => p.then((l) => l.flush())));
process.stdout.write(`\n=== checks and builds took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

const reportDir = mkdtempSync(join(tmpdir(), 'berth-vitest-'));
const report = join(reportDir, 'report.json');
if (imageBuilt) {
  process.stdout.write(`\n=== vitest: npx vitest run ${only.join(' ')}\n`);
  const vt = await new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...only], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve({ code: 127 }));
    child.on('close', (code) => resolve({ code: code ?? 1 }));
  });
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (r.numFailedTests === 0 && (vt.code !== 0 || r.numFailedTestSuites > 0)) {
      failed++;
      problems.push('vitest (a suite failed to load)');
    }
  } catch {
    failed++;
    problems.push('vitest (no report)');
  }
} else {
  problems.push('vitest skipped: the VM image did not build');
}
rmSync(reportDir, { recursive: true, force: true });

if (problems.length) console.log(`\nfailed: ${problems.join('; ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
