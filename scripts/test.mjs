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

function run(label, cmd, args, opts = {}) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${label}: ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: opts.cwd ?? root, stdio: ['ignore', opts.capture ? 'pipe' : 'inherit', 'inherit'], env: { ...process.env, ...opts.env } });
    let out = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    child.on('error', (e) => resolve({ code: 127, out: String(e) }));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function step(label, cmd, args, opts) {
  const r = await run(label, cmd, args, opts);
  if (r.code !== 0) {
    failed++;
    problems.push(label);
  } else passed++;
  return r;
}

const only = process.argv.slice(2);
await step('typecheck', 'npx', ['tsc', '-b']);
await step('lint', 'npx', ['eslint', '.']);

// Go: count each test of the agent, the hvsock bridge and the 9P server as one result.
const goEnv = { CGO_ENABLED: '0', GOPROXY: 'off', GOFLAGS: '-buildvcs=false', GOCACHE: join(root, 'vm-images/.cache/go-build') };

function goTest(dir, tags) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== go test (${dir}${tags ? `, -tags ${tags}` : ''})\n`);
    const child = spawn('go', ['test', '-json', ...(tags ? ['-tags', tags] : []), './...'], { cwd: join(root, dir), env: { ...process.env, ...goEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const counts = { pass: 0, fail: 0 };
    child.stdout.on('data', (d) => {
      buf += String(d);
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line);
          if (ev.Test && !ev.Test.includes('/') && (ev.Action === 'pass' || ev.Action === 'fail')) counts[ev.Action]++;
          if (ev.Action === 'output' && /^(--- FAIL|FAIL|panic)/.test(ev.Output ?? '')) process.stdout.write(ev.Output);
        } catch {
          /* non-JSON build output */
        }
      }
    });
    child.on('error', () => resolve({ code: 127, counts }));
    child.on('close', (code) => resolve({ code, counts }));
  });
}

// The 9P server once more with -tags ninepportable: its Windows host (hostfs_portable.go) on Linux.
for (const [dir, tags] of [['vm-images/agent'], ['helpers/hvsock-bridge'], ['helpers/ninep-server'], ['helpers/ninep-server', 'ninepportable']]) {
  const label = `${dir}${tags ? ` -tags ${tags}` : ''}`;
  const vet = await run(`go vet (${label})`, 'go', ['vet', ...(tags ? ['-tags', tags] : []), './...'], { env: goEnv, cwd: join(root, dir) });
  if (vet.code !== 0) {
    failed++;
    problems.push(`go vet (${label})`);
  } else passed++;
  const goRun = await goTest(dir, tags);
  passed += goRun.counts.pass;
  failed += goRun.counts.fail;
  if (goRun.code !== 0 && goRun.counts.fail === 0) {
    failed++;
    problems.push(`go test ${label} (build or setup)`);
  }
  console.log(`go test ${label}: ${goRun.counts.pass} passed, ${goRun.counts.fail} failed`);
}
// The hvsock bridge runs on Windows hosts only: it must vet and cross-compile for windows/amd64.
const winEnv = { ...goEnv, GOOS: 'windows', GOARCH: 'amd64' };
await step('go vet (hvsock-bridge, windows/amd64)', 'go', ['vet', '.'], { env: winEnv, cwd: join(root, 'helpers/hvsock-bridge') });
// The 9P server runs beside HyperKit on Intel Macs and for Hyper-V's shares on Windows: it must vet
// (tests included) for darwin/amd64 and windows/amd64; the app build cross-compiles both.
const macEnv = { ...goEnv, GOOS: 'darwin', GOARCH: 'amd64' };
await step('go vet (ninep-server, darwin/amd64)', 'go', ['vet', '.'], { env: macEnv, cwd: join(root, 'helpers/ninep-server') });
await step('go vet (ninep-server, windows/amd64)', 'go', ['vet', '.'], { env: winEnv, cwd: join(root, 'helpers/ninep-server') });

const build = await step('VM image', 'npm', ['run', '--silent', 'vm:build']);
// The app's bundles, the Go helpers cross-compiled for each host (hvsock-bridge.exe and
// berth-ninep-server.exe for windows/amd64, berth-ninep-server for darwin/amd64 and linux), the
// renderer: the e2e suite serves renderer/dist, the packaging test reads dist/.
await step('app build (bundles, Go helpers, renderer, icons check)', 'npm', ['run', '--silent', 'build']);

const reportDir = mkdtempSync(join(tmpdir(), 'berth-vitest-'));
const report = join(reportDir, 'report.json');
if (build.code === 0) {
  const vt = await run('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...only]);
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
