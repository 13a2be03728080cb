#!/usr/bin/env node
// A fake hyperkit for the HyperKit runner's tests. Records its argv (FAKE_HYPERKIT_LOG), checks it the
// way hyperkit parses it, writes the pid file (O_EXCL, removed at a normal exit like hyperkit's atexit),
// prints boot lines to the console log, and listens on the vsock forward socket like hyperkit. A line on
// that socket plays the guest agent: "shutdown" powers off (exit 0; ignored with
// FAKE_HYPERKIT_IGNORE_SHUTDOWN=1), "crash" is a triple fault (exit 3). SIGTERM/SIGKILL end it as they end hyperkit.
// With FAKE_HYPERKIT_AGENT=<berth-agent binary> the real agent serves the forward socket instead (its docker
// streams dial FAKE_HYPERKIT_DOCKER), and its shutdown RPC's power-off is a SIGHUP to this process: exit 0.
// Each virtio-9p device connects to its path= like hyperkit (retrying for 10 s), plays a guest's mount
// (Tversion, Tattach) and holds the connection until exit; the console says `berth: 9p <tag>: …`.
/* global process, setTimeout, setInterval, Buffer */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';

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
const ninep = [];
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
    const p9 = /^\d+(?::\d+)?,virtio-9p,(.*)$/.exec(v);
    if (p9) {
      const o = Object.fromEntries(p9[1].split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (!o.path === !o.port) die(1, 'Please pass *either* a port *or* a path. You must pass one, you must not pass both.');
      ninep.push({ path: o.path, tag: o.tag ?? 'plan9' });
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
/** A guest's 9P mount through the server on `path`: Tversion, then Tattach; the replies on the console. */
function mount9p({ path, tag }, deadline = Date.now() + 10_000) {
  const msg = (type, tagNo, body) => {
    const h = Buffer.alloc(7);
    h.writeUInt32LE(7 + body.length, 0);
    h.writeUInt8(type, 4);
    h.writeUInt16LE(tagNo, 5);
    return Buffer.concat([h, body]);
  };
  const str = (t) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(Buffer.byteLength(t));
    return Buffer.concat([b, Buffer.from(t)]);
  };
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const s = connect(path);
  s.on('error', () => {
    if (Date.now() > deadline) process.stderr.write(`virtio-9p: failed to connect to path ${path}\n`);
    else setTimeout(() => mount9p({ path, tag }, deadline), 50);
  });
  s.on('connect', () => {
    s.write(msg(100, 0xffff, Buffer.concat([u32(512000), str('9P2000.L')])));
    s.write(msg(104, 1, Buffer.concat([u32(0), u32(0xffffffff), str('root'), str(''), u32(0)])));
    let buf = Buffer.alloc(0);
    const seen = [];
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 7 && buf.length >= buf.readUInt32LE(0)) {
        const size = buf.readUInt32LE(0);
        const type = buf.readUInt8(4);
        const body = buf.subarray(7, size);
        buf = buf.subarray(size);
        if (type === 101) seen.push(`${body.subarray(6, 6 + body.readUInt16LE(4)).toString()} msize=${body.readUInt32LE(0)}`);
        else if (type === 105) seen.push('attach ok');
        else if (type === 7) seen.push(`error ${body.readUInt32LE(0)}`);
        if (seen.length === 2) say(`berth: 9p ${tag}: ${seen.join(' ')}`);
      }
    });
  });
}
ninep.forEach((d) => mount9p(d));
say('berth: docker ready (uptime 1.2s)');
setInterval(() => undefined, 1 << 30);
