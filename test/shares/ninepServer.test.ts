// berth-ninep-server (the 9P server HyperKit's virtio-9p forwards to) against the real v9fs client:
// the image boots under QEMU, and the guest mounts the server over 9P-over-TCP to QEMU user-net's
// host address 10.0.2.2 (HyperKit's transport, virtio, cannot be had here: only the protocol and the
// server are proven) at the same path as the host folder, with the options Berth's guest uses for 9p
// shares (version=9p2000.L, cache=mmap, access=client). Both sides' changes are seen by the other,
// a 5,000-file tree lists whole, a read-only export refuses writes, and symlinks pointing out of the
// share do not let the guest read or write outside it (T-21). A third server listens on a unix socket
// with -once, as for HyperKit, reached through a byte relay that connects to it once and forwards, as
// HyperKit's virtio-9p does (the guest kernel's trans=fd cannot use a virtio-serial port: it needs
// read_iter); it ends by itself when its one client goes.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync, lstatSync, readlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NinepServer } from '../../helpers/berthd/hypervisors/ninepServer.ts';
import { builtImage, workDir } from '../image/imageVm.ts';
import { buildNinepServerIn } from '../../helpers/berthd/vm/linkSharesFixture.ts';
import { bootShareVm, type ShareVm } from './shareVm.ts';

const work = workDir('ninep');
/** The shared folder: spaces and non-ASCII, like a user's project folder. */
const share = join(work.dir, 'Users', 'ann', 'my project ü');
const readOnlyShare = join(work.dir, 'Users', 'ann', 'read only');
const outside = join(work.dir, 'Users', 'ann', 'outside');
const viaUnix = join(work.dir, 'Users', 'ann', 'via unix');
const unixSocket = join(work.dir, '9p-share2.sock');
const SECRET = 'HOST-SECRET-7f3a9c';
let vm: ShareVm | undefined;
let relay: Server | undefined;
const servers: NinepServer[] = [];
const ports: { rw: number; ro: number } = { rw: 0, ro: 0 };
const TREE_FILES = 5000;

const portOf = (address: string): number => Number(/:(\d+)$/.exec(address)?.[1]);

beforeAll(async () => {
  builtImage(); // fails with the fix when the image is not built
  mkdirSync(share, { recursive: true });
  mkdirSync(readOnlyShare, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret'), SECRET);
  writeFileSync(join(readOnlyShare, 'ro.txt'), 'read only');
  const bin = buildNinepServerIn(work.dir);
  const rw = await NinepServer.start(bin, { hostPath: share, listen: 'tcp:127.0.0.1:0', readOnly: false }, { logFile: join(work.dir, 'ninep-rw.log') });
  servers.push(rw);
  const ro = await NinepServer.start(bin, { hostPath: readOnlyShare, listen: 'tcp:127.0.0.1:0', readOnly: true }, { logFile: join(work.dir, 'ninep-ro.log') });
  servers.push(ro);
  ports.rw = portOf(rw.address);
  ports.ro = portOf(ro.address);
  mkdirSync(viaUnix);
  servers.push(await NinepServer.start(bin, { hostPath: viaUnix, listen: `unix:${unixSocket}`, readOnly: false, once: true }, { logFile: join(work.dir, 'ninep-unix.log') }));
  // The relay: each guest connection is forwarded byte for byte to one connection to the unix socket.
  relay = createServer((guest) => {
    const server = connect(unixSocket);
    guest.pipe(server).on('error', () => guest.destroy());
    server.pipe(guest).on('error', () => server.destroy());
    guest.on('close', () => server.destroy());
    server.on('close', () => guest.destroy());
  });
  await new Promise<void>((resolve) => relay!.listen(0, '127.0.0.1', resolve));
  mkdirSync(join(work.dir, 'vmroot'));
  vm = await bootShareVm({ dir: join(work.dir, 'vmroot'), layout: { qemu: [], guestMounts: [], virtiofsd: [] }, name: 'berth-ninep' });
  // 9pnet_fd (trans=tcp) is one of the modules the image loads in the background after the boot's own.
  await vm.vm.console.waitFor(/^berth: modules loaded /, 300_000);
}, 600_000);

afterAll(async () => {
  await vm?.stop();
  relay?.close();
  for (const s of servers) await s.stop();
  work.cleanup();
});

async function ok(script: string, env: Record<string, string> = {}, timeoutMs?: number): Promise<string> {
  const r = await vm!.sh(script, { S: share, R: readOnlyShare, O: outside, U: viaUnix, ...env }, timeoutMs);
  expect(r.code, `guest: ${script}\n${r.out}\n${r.err}`).toBe(0);
  return r.out;
}

/** The mount options of Berth's 9p shares (vm-images/rootfs/etc/berth/steps/config), over TCP. */
const mountOpts = (port: number, mode: 'rw' | 'ro'): string => `trans=tcp,port=${port},version=9p2000.L,msize=512000,cache=mmap,access=client,${mode}`;

describe('berth-ninep-server under the guest kernel\'s v9fs client (9P over TCP, QEMU standing in for HyperKit)', () => {
  it('the guest mounts the host server at the same path as the host folder', async () => {
    expect(await ok('grep -c 9pnet_fd /proc/modules || true')).not.toBe('0\n');
    await ok('mkdir -p "$S" "$R" && mount -t 9p -o "$OPTS" 10.0.2.2 "$S" && mount -t 9p -o "$ROPTS" 10.0.2.2 "$R"', { OPTS: mountOpts(ports.rw, 'rw'), ROPTS: mountOpts(ports.ro, 'rw') });
    const escaped = share.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    const entry = (await ok('cat /proc/mounts')).split('\n').map((l) => l.split(' ')).find((f) => f[1] === escaped);
    expect(entry?.slice(0, 3)).toEqual(['10.0.2.2', escaped, '9p']);
    // The guest asks for Berth's msize=512000; the server caps it at HyperKit's 256 KiB and the client keeps that.
    expect(entry![3]!.split(',')).toEqual(expect.arrayContaining(['rw', 'trans=tcp', 'access=client', 'msize=262144']));
    expect(await ok('cd "$S" && pwd')).toBe(`${share}\n`);
  });

  it('guest changes are on the host at once: create, overwrite, append, mkdir, rename, chmod, truncate, delete', async () => {
    await ok('printf one >"$S/g.txt"');
    expect(readFileSync(join(share, 'g.txt'), 'utf8')).toBe('one');
    await ok('printf "second, longer" >"$S/g.txt" && printf +more >>"$S/g.txt"');
    expect(readFileSync(join(share, 'g.txt'), 'utf8')).toBe('second, longer+more');
    await ok('mkdir -p "$S/gd/a b/c" && mv "$S/g.txt" "$S/gd/a b/c/moved ü.txt" && chmod 640 "$S/gd/a b/c/moved ü.txt"');
    expect(existsSync(join(share, 'g.txt'))).toBe(false);
    const moved = join(share, 'gd', 'a b', 'c', 'moved ü.txt');
    expect(readFileSync(moved, 'utf8')).toBe('second, longer+more');
    expect(statSync(moved).mode & 0o777).toBe(0o640);
    await ok('truncate -s 6 "$S/gd/a b/c/moved ü.txt" 2>/dev/null || dd if=/dev/null of="$S/gd/a b/c/moved ü.txt" bs=1 seek=6 2>/dev/null');
    expect(readFileSync(moved, 'utf8')).toBe('second');
    await ok('ln -s "moved ü.txt" "$S/gd/a b/c/link" && ln "$S/gd/a b/c/moved ü.txt" "$S/gd/hard"');
    expect(readlinkSync(join(share, 'gd', 'a b', 'c', 'link'))).toBe('moved ü.txt');
    expect(statSync(join(share, 'gd', 'hard')).nlink).toBe(2);
    expect(await ok('cat "$S/gd/a b/c/link"')).toBe('second');
    await ok('rm -r "$S/gd"');
    expect(existsSync(join(share, 'gd'))).toBe(false);
  });

  it('host changes are seen in the guest at once: create, overwrite, append, rename, delete', async () => {
    const f = join(share, 'h.txt');
    writeFileSync(f, 'one');
    expect(await ok('cat "$S/h.txt"')).toBe('one');
    writeFileSync(f, 'two!');
    appendFileSync(f, '+appended');
    expect(await ok('cat "$S/h.txt"')).toBe('two!+appended');
    renameSync(f, join(share, 'h2.txt'));
    expect(await ok('test ! -e "$S/h.txt" && cat "$S/h2.txt"')).toBe('two!+appended');
    mkdirSync(join(share, 'hd', 'sub'), { recursive: true });
    writeFileSync(join(share, 'hd', 'sub', 'x'), 'deep');
    expect(await ok('cat "$S/hd/sub/x"')).toBe('deep');
    rmSync(join(share, 'h2.txt'));
    rmSync(join(share, 'hd'), { recursive: true });
    expect(await ok('test ! -e "$S/h2.txt" && test ! -e "$S/hd" && echo gone')).toBe('gone\n');
  });

  it('a large file round-trips byte for byte in both directions (messages of the full msize)', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    writeFileSync(join(share, 'big.bin'), big);
    await ok('cp "$S/big.bin" "$S/big-copy.bin"');
    expect(readFileSync(join(share, 'big-copy.bin')).equals(big)).toBe(true);
    rmSync(join(share, 'big.bin'));
    rmSync(join(share, 'big-copy.bin'));
  });

  it(`a ${TREE_FILES}-file tree lists whole in the guest`, async () => {
    const tree = join(share, 'tree');
    for (let d = 0; d < 50; d++) {
      mkdirSync(join(tree, `dir-${d}`), { recursive: true });
      for (let f = 0; f < TREE_FILES / 50; f++) writeFileSync(join(tree, `dir-${d}`, `file-${f}.txt`), `${d}/${f}`);
    }
    const t0 = Date.now();
    expect(await ok('find "$S/tree" -type f | wc -l', {}, 300_000)).toBe(`${TREE_FILES}\n`);
    const findMs = Date.now() - t0;
    expect(await ok('ls -l "$S/tree/dir-49" | grep -c "file-"')).toBe(`${TREE_FILES / 50}\n`);
    expect(await ok('cat "$S/tree/dir-17/file-42.txt"')).toBe('17/42');
    console.log(`find over ${TREE_FILES} files through berth-ninep-server (TCG guest, 9P over TCP): ${findMs} ms`);
    await ok('rm -r "$S/tree"', {}, 300_000);
    expect(existsSync(tree)).toBe(false);
  });

  it('T-21: symlinks pointing outside the share do not let the guest read or write outside it', async () => {
    symlinkSync(outside, join(share, 'abs'));
    symlinkSync('../outside', join(share, 'rel'));
    symlinkSync(join(outside, 'secret'), join(share, 'secretlink'));
    // The guest sees the links as links, stored verbatim…
    expect(await ok('readlink "$S/abs"; readlink "$S/rel"')).toBe(`${outside}\n../outside\n`);
    // …and following them never reaches the host's files outside the share.
    const tries = [
      'cat "$S/abs/secret"',
      'cat "$S/rel/secret"',
      'cat "$S/secretlink"',
      'ls "$S/abs/"',
      'ln -s / "$S/groot" && cat "$S/groot$O/secret"',
      'ln -s ../../../../../../.. "$S/up" && cat "$S/up$O/secret"',
      'cat "$S/../outside/secret"',
    ];
    for (const t of tries) {
      const r = await vm!.sh(`${t} 2>&1`, { S: share, O: outside });
      expect(`${r.out}${r.err}`, t).not.toContain(SECRET);
    }
    // Writing through them does not reach outside either.
    for (const t of ['printf planted >"$S/abs/planted"', 'printf planted >"$S/rel/planted"', 'printf x >"$S/secretlink"', 'mkdir "$S/abs/dir"', 'mv "$S/up" "$S/abs/up"']) {
      await vm!.sh(`${t} 2>&1`, { S: share });
    }
    expect(readdirSync(outside)).toEqual(['secret']);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe(SECRET);
    expect(lstatSync(join(share, 'abs')).isSymbolicLink()).toBe(true);
    for (const n of ['abs', 'rel', 'secretlink', 'groot', 'up']) rmSync(join(share, n), { force: true });
  });

  it('a read-only export (mounted rw in the guest: the server alone refuses) is read and refuses every change', async () => {
    expect(await ok('cat "$R/ro.txt"')).toBe('read only');
    for (const t of ['printf x >"$R/new"', 'printf x >>"$R/ro.txt"', 'rm "$R/ro.txt"', 'mkdir "$R/d"', 'mv "$R/ro.txt" "$R/moved"', 'chmod 777 "$R/ro.txt"']) {
      const r = await vm!.sh(`${t} 2>&1`, { R: readOnlyShare });
      expect(r.code, t).not.toBe(0);
    }
    expect(readdirSync(readOnlyShare)).toEqual(['ro.txt']);
    expect(readFileSync(join(readOnlyShare, 'ro.txt'), 'utf8')).toBe('read only');
  });

  it('over the unix socket (-once), its one client forwarding the guest\'s bytes as HyperKit does', async () => {
    const port = (relay!.address() as AddressInfo).port;
    await ok('mkdir -p "$U" && mount -t 9p -o "$OPTS" 10.0.2.2 "$U"', { OPTS: mountOpts(port, 'rw') });
    await ok('printf from-guest >"$U/g.txt" && mkdir "$U/d" && mv "$U/g.txt" "$U/d/moved.txt"');
    expect(readFileSync(join(viaUnix, 'd', 'moved.txt'), 'utf8')).toBe('from-guest');
    writeFileSync(join(viaUnix, 'h.txt'), 'from-host');
    expect(await ok('cat "$U/h.txt" && ls "$U/d"')).toBe('from-hostmoved.txt\n');
    await ok('rm -r "$U/d" "$U/h.txt"');
    expect(readdirSync(viaUnix)).toEqual([]);
  });

  it('unmounts cleanly; the servers still run and their logs hold no protocol error', async () => {
    await ok('umount "$S" && umount "$R" && umount "$U"');
    expect(servers.slice(0, 2).every((s) => s.running)).toBe(true);
    for (const f of ['ninep-rw.log', 'ninep-ro.log', 'ninep-unix.log']) expect(readFileSync(join(work.dir, f), 'utf8')).not.toMatch(/9p: message/);
  });

  it('the unix-socket server (-once) ends by itself once its one client has gone, and removes its socket', async () => {
    const unix = servers[2]!;
    expect((await unix.exited).code).toBe(0);
    expect(existsSync(unixSocket)).toBe(false);
  });
});
