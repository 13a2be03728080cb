#!/usr/bin/env node
// A fake hyperkit for the HyperKit runner's tests. Records its argv (FAKE_HYPERKIT_LOG), checks it the
// way hyperkit parses it, writes the pid file (O_EXCL, removed at a normal exit like hyperkit's atexit),
// prints boot lines to the console log, and listens on the vsock forward socket like hyperkit. A line on
// that socket plays the guest agent: "shutdown" powers off (exit 0; ignored with
// FAKE_HYPERKIT_IGNORE_SHUTDOWN=1), "crash" is a triple fault (exit 3). SIGTERM/SIGKILL end it as they end hyperkit.
// With FAKE_HYPERKIT_AGENT=<berth-agent binary> the real agent serves the forward socket instead (its docker
// streams dial FAKE_HYPERKIT_DOCKER), and its shutdown RPC's power-off is a SIGHUP to this process: exit 0.
/* global process, setTimeout, setInterval */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const argv = process.argv.slice(2);
if (argv[0] === '-v') {
  process.stdout.write('hyperkit: v0.20210107-fake\n\nHomepage: https://github.com/docker/hyperkit\nLicense: BSD\n\n');
  process.exit(0);
}
if (process.env.FAKE_HYPERKIT_LOG) appendFileSync(process.env.FAKE_HYPERKIT_LOG, `${JSON.stringify(argv)}\n`);
const die = (code, msg) => {
  process.stderr.write(`${msg}\n`);
  process.exit(code);
};
let pidFile;
let consoleLog;
let vsock;
let kexec;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (['-F', '-c', '-m', '-U', '-s', '-l', '-f'].includes(a) && argv[i + 1] === undefined) die(1, `option requires an argument -- ${a}`);
  if (a === '-F') pidFile = argv[++i];
  else if (a === '-l') {
    const v = argv[++i];
    consoleLog = /,log=([^,]*)/.exec(v)?.[1];
  } else if (a === '-s') {
    const v = argv[++i];
    const m = /^\d+(?::\d+)?,virtio-sock,(.*)$/.exec(v);
    if (m) {
      const o = Object.fromEntries(m[1].split(',').map((kv) => kv.split('=')));
      if (!o.guest_cid || !o.path) die(1, 'guest_cid and path options are both required.');
      vsock = { cid: Number(o.guest_cid), dir: o.path, ports: (o.guest_forwards ?? '').split(';').filter(Boolean).map(Number) };
    }
  } else if (a === '-f') {
    const parts = argv[++i].split(',');
    if (parts[0] !== 'kexec') die(1, 'Invalid firmware argument');
    kexec = { kernel: parts[1], initrd: parts[2], cmdline: parts.slice(3).join(',') };
  } else if (['-c', '-m', '-U'].includes(a)) i++;
}
if (!kexec) die(1, 'Usage: hyperkit ... -f <fw>');
if (!existsSync(kexec.kernel)) die(1, `kexec: cannot open kernel ${kexec.kernel}`);
if (pidFile) {
  let fd;
  try {
    fd = openSync(pidFile, 'wx', 0o644);
  } catch {
    die(1, 'Failed to set up pidfile\npidfile error -1');
  }
  writeSync(fd, String(process.pid));
  closeSync(fd);
  process.on('exit', () => rmSync(pidFile, { force: true }));
}
const say = (line) => consoleLog && appendFileSync(consoleLog, `${line}\r\n`);
say('Linux version 6.1.0 (fake hyperkit)');
say(`Command line: ${kexec.cmdline}`);
say('berth: init (uptime 0.4s)');
const agentBin = process.env.FAKE_HYPERKIT_AGENT;
for (const port of vsock?.ports ?? []) {
  const hex = (n) => n.toString(16).padStart(8, '0');
  const path = `${vsock.dir}/${hex(vsock.cid)}.${hex(port)}`;
  rmSync(path, { force: true });
  if (agentBin) {
    const agent = spawn(agentBin, ['serve', '-unix', path, '-docker', process.env.FAKE_HYPERKIT_DOCKER ?? '/nonexistent', '-poweroff', `/bin/kill -HUP ${process.pid}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    process.on('exit', () => agent.kill('SIGKILL'));
    // A SIGKILL of this fake skips 'exit': the test ends the agent by the pid written here.
    if (process.env.FAKE_HYPERKIT_AGENT_PIDS) appendFileSync(process.env.FAKE_HYPERKIT_AGENT_PIDS, `${agent.pid}\n`);
    process.on('SIGHUP', () => {
      say('berth: powering off (uptime 9.9s)');
      process.exit(0);
    });
    continue;
  }
  createServer((c) => {
    let buf = '';
    c.on('data', (d) => {
      buf += String(d);
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'shutdown' && process.env.FAKE_HYPERKIT_IGNORE_SHUTDOWN !== '1') {
          c.end('ok\n');
          say('berth: powering off (uptime 9.9s)');
          setTimeout(() => process.exit(0), 100);
        } else if (line === 'crash') {
          process.stderr.write('vm exit[0]\n\treason\t\tVMX\n');
          process.exit(3);
        } else c.write(`${line}\n`);
      }
    });
  }).listen(path);
}
say('berth: docker ready (uptime 1.2s)');
setInterval(() => undefined, 1 << 30);
