// Boots the built image under QEMU/TCG with a host folder shared — 9p with QEMU running as an
// unprivileged user, then virtiofs (root only, when virtiofsd is here) — and proves from both sides:
// write-through both ways (read, write, rename, delete), names with spaces, NFC/NFD and 200
// characters (T-20), no way out of the share through `..` or a planted symlink (T-21), ownership of
// what the guest and a container create, a read-only share, `docker run -v "$PWD":/src`, and the
// console marker of a share that cannot be mounted.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, cpSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goTestBuildEnv } from '../../helpers/berthd/host/goTestBuild.ts';
import { virtiofsAvailable, type VirtiofsCache } from '../../helpers/berthd/hypervisors/virtiofsd.ts';
import { planShares, statFolderKind, type ShareTransport } from '../../helpers/berthd/vm/sharesPlan.ts';
import { importTestImage, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { builtImage, repoRoot, workDir } from '../image/imageVm.ts';
import { BOOT_TIMEOUT, bootShareVm, type ShareVm } from './shareVm.ts';

const NOBODY = { uid: 65534, gid: 65534 };
/** virtiofsd's cache mode under test (Berth uses none; auto can be tried by hand). */
const VIRTIOFS_CACHE = (process.env.BERTH_TEST_VIRTIOFS_CACHE ?? 'none') as VirtiofsCache;
const probeDir = workDir('mmapprobe');
/** A static Go program that writes through a MAP_SHARED mapping (test/shares/mmapprobe). */
function buildProbe(): string | undefined {
  const out = join(probeDir.dir, 'mmapprobe');
  const r = spawnSync('go', ['build', '-trimpath', '-o', out, 'main.go', 'ptr.go'], {
    cwd: join(repoRoot, 'test', 'shares', 'mmapprobe'),
    env: goTestBuildEnv(true),
    encoding: 'utf8',
  });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined; // no Go toolchain: that check is skipped
  if (r.status !== 0) throw new Error(`building test/shares/mmapprobe failed: ${r.stderr}`);
  return out;
}
let probe: string | undefined;
beforeAll(() => {
  probe = buildProbe();
});
afterAll(() => probeDir.cleanup());
const isRoot = process.getuid?.() === 0;
const vfs = virtiofsAvailable();

/** The share's folder: spaces (leading, trailing, doubled), NFD é, a backslash, a comma and brackets. */
const SHARE_NAME = ' My  Shäre cafe\u0301 \\x,y (dev) ';
const NFC = 'caf\u00e9.txt';
const NFD = 'cafe\u0301.txt';
const LONG = `${'l'.repeat(199)}\u00e9`; // 200 characters, 201 bytes
const SPACED = '  two  spaces and trailing ';

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const hexNames = (out: string): Buffer[] =>
  out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Buffer.from(l.trim(), 'hex'))
    .sort(Buffer.compare);
const asBuffers = (names: string[]): Buffer[] => names.map((n) => Buffer.from(n, 'utf8')).sort(Buffer.compare);
/** Lists a guest folder's names as hex, one per line (byte-exact, whatever the names hold). */
const LIST_HEX = `for f in "$D"/* "$D"/.[!.]*; do [ -e "$f" ] || [ -L "$f" ] || continue; printf '%s' "\${f##*/}" | xxd -p | tr -d '\\n'; echo; done`;

function docker(sock: string, args: string[], timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['-H', `unix://${sock}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => (clearTimeout(t), resolve({ code: code ?? 1, stdout, stderr })));
  });
}

type Ctx = { vm: ShareVm; share: string; outer: string; sentinel: string; readOnlyShare: string; owner: number };

/** Every check, run against a VM whose writable share is `ctx.share` (same path in the guest). */
function shareSuite(transport: ShareTransport, ctx: () => Ctx): void {
  const sh = (script: string, env: Record<string, string> = {}) => ctx().vm.sh(script, { S: ctx().share, ...env });
  const ok = async (script: string, env: Record<string, string> = {}): Promise<string> => {
    const r = await sh(script, env);
    expect(r.code, `guest: ${script}\n${r.err}`).toBe(0);
    return r.out;
  };

  it('is mounted at the host path, with the transport asked for', async () => {
    expect(ctx().vm.vm.console.lines.some((l) => /^berth: config loaded:.* share:share0\b/.test(l))).toBe(true);
    // /proc/mounts writes space, tab, newline and backslash as octal escapes.
    const escaped = ctx().share.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    const mounts = (await ok('cat /proc/mounts')).split('\n').map((l) => l.split(' '));
    const entry = mounts.find((f) => f[1] === escaped);
    expect(entry, `no mount at ${escaped} in /proc/mounts`).toBeDefined();
    expect(entry!.slice(0, 3)).toEqual(['share0', escaped, transport]);
    const options = entry![3]!.split(',');
    expect(options).toContain('rw');
    // The kernel shows cache=mmap as "mmap".
    if (transport === '9p') expect(options).toEqual(expect.arrayContaining(['mmap', 'access=client', 'msize=512000', 'trans=virtio']));
    expect(await ok('cd "$S" && pwd')).toBe(`${ctx().share}\n`);
  });

  it('host writes are seen in the guest at once: create, overwrite, append, rename, delete', async () => {
    const f = join(ctx().share, 'h.txt');
    writeFileSync(f, 'one');
    expect(await ok('cat "$S/h.txt"')).toBe('one');
    writeFileSync(f, 'second, longer');
    expect(await ok('cat "$S/h.txt"')).toBe('second, longer');
    writeFileSync(f, '3');
    expect(await ok('stat -c %s "$S/h.txt"; cat "$S/h.txt"')).toBe('1\n3');
    appendFileSync(f, '+appended');
    expect(await ok('cat "$S/h.txt"')).toBe('3+appended');
    renameSync(f, join(ctx().share, 'h2.txt'));
    expect(await ok('test ! -e "$S/h.txt" && cat "$S/h2.txt"')).toBe('3+appended');
    mkdirSync(join(ctx().share, 'hd/sub'), { recursive: true });
    writeFileSync(join(ctx().share, 'hd/sub/x'), 'deep');
    expect(await ok('cat "$S/hd/sub/x"')).toBe('deep');
    rmSync(join(ctx().share, 'h2.txt'));
    rmSync(join(ctx().share, 'hd'), { recursive: true });
    expect(await ok('test ! -e "$S/h2.txt" && test ! -e "$S/hd" && echo gone')).toBe('gone\n');
  });

  it('a same-size change within the same second, after the guest read the file, is seen at once', async () => {
    const f = join(ctx().share, 'same.txt');
    for (let i = 0; i < 5; i++) {
      writeFileSync(f, `AAAA${i}`);
      expect(await ok('cat "$S/same.txt"')).toBe(`AAAA${i}`);
      writeFileSync(f, `BBBB${i}`);
      expect(await ok('cat "$S/same.txt"')).toBe(`BBBB${i}`);
    }
    rmSync(f);
  });

  it('guest writes are on the host at once: create, overwrite, append, rename, mkdir, chmod, delete', async () => {
    const s = ctx().share;
    await ok('printf one >"$S/g.txt"');
    expect(readFileSync(join(s, 'g.txt'), 'utf8')).toBe('one');
    await ok('printf "second, longer" >"$S/g.txt"');
    expect(readFileSync(join(s, 'g.txt'), 'utf8')).toBe('second, longer');
    await ok('printf 3 >"$S/g.txt" && printf +appended >>"$S/g.txt"');
    expect(readFileSync(join(s, 'g.txt'), 'utf8')).toBe('3+appended');
    await ok('mv "$S/g.txt" "$S/g2.txt" && mkdir -p "$S/gd/a/b" && printf deep >"$S/gd/a/b/f" && chmod 750 "$S/gd/a/b/f"');
    expect(existsSync(join(s, 'g.txt'))).toBe(false);
    expect(readFileSync(join(s, 'g2.txt'), 'utf8')).toBe('3+appended');
    expect(readFileSync(join(s, 'gd/a/b/f'), 'utf8')).toBe('deep');
    expect(statSync(join(s, 'gd/a/b/f')).mode & 0o777).toBe(0o750);
    await ok('rm "$S/g2.txt" && rm -r "$S/gd"');
    expect(existsSync(join(s, 'g2.txt'))).toBe(false);
    expect(existsSync(join(s, 'gd'))).toBe(false);
  });

  it('a writable shared mmap (SQLite WAL, linkers) reaches the host with 9p cache=mmap; virtiofs cache=none refuses it', async () => {
    if (probe === undefined) return; // no Go toolchain to build the probe
    const bin = join(ctx().share, '.mmapprobe');
    copyFileSync(probe, bin);
    chmodSync(bin, 0o755);
    const r = await sh('"$S/.mmapprobe" "$S/mapped.bin"');
    if (transport === 'virtiofs' && VIRTIOFS_CACHE === 'none') {
      // FOPEN_DIRECT_IO: Linux 6.1's FUSE cannot keep MAP_SHARED coherent and says ENODEV.
      expect(r.out).toBe('mmap shared: no such device\n');
    } else {
      expect(r.out).toBe('ok\n');
      expect(readFileSync(join(ctx().share, 'mapped.bin')).subarray(0, 32).toString()).toBe('written through a shared mapping');
    }
    rmSync(bin);
    rmSync(join(ctx().share, 'mapped.bin'), { force: true });
  });

  it('T-20: names with spaces, NFC and NFD é (distinct names, bytes kept) and 200 characters, host → guest', async () => {
    const d = join(ctx().share, 'names-host');
    mkdirSync(d);
    const names = [NFC, NFD, LONG, SPACED, 'back\\slash', 'new\u2028line-sep', '-dash', '$(id)'];
    for (const n of names) writeFileSync(join(d, n), `content of ${n}`);
    expect(readdirSync(d)).toHaveLength(names.length);
    expect(hexNames(await ok(LIST_HEX, { D: d }))).toEqual(asBuffers(names));
    for (const n of names) expect(await ok('cat "$D/$N"', { D: d, N: n })).toBe(`content of ${n}`);
  });

  it('T-20: the same names made in the guest arrive on the host byte for byte', async () => {
    const d = join(ctx().share, 'names-guest');
    const names = [NFC, NFD, LONG, SPACED, 'back\\slash', '-dash'];
    const env: Record<string, string> = { D: d };
    names.forEach((n, i) => (env[`N${i}`] = n));
    await ok(`mkdir "$D" && for i in ${names.map((_, i) => i).join(' ')}; do eval "n=\\$N$i"; printf '%s' "guest $n" >"$D/$n"; done`, env);
    const got = readdirSync(d, { encoding: 'buffer' }).sort(Buffer.compare);
    expect(got).toEqual(asBuffers(names));
    for (const n of names) expect(readFileSync(join(d, n), 'utf8')).toBe(`guest ${n}`);
    // NFC and NFD stay two files.
    expect(readFileSync(join(d, NFC), 'utf8')).not.toBe(readFileSync(join(d, NFD), 'utf8'));
  });

  it('T-21: `..` and symlinks planted in the share do not reach host files outside it', async () => {
    const { share, outer, sentinel } = ctx();
    const before = sha256(sentinel);
    const token = readFileSync(sentinel, 'utf8');
    const rel = '../'.repeat(share.split('/').length); // far enough to reach / from the share on the host
    const out = await sh(
      [
        'ln -s / "$S/to-root"',
        'ln -s ../../ "$S/up2"',
        `ln -s '${rel}' "$S/up-all"`,
        'ln -s "$SENTINEL" "$S/abs-sentinel"',
        'ln -s ../sentinel.txt "$S/rel-sentinel"',
        // Reads: none of these may print the host sentinel's token.
        'cat "$S/abs-sentinel" "$S/rel-sentinel" "$S/to-root$SENTINEL" "$S/up2/sentinel.txt" "$S/up-all$SENTINEL" "$S/../sentinel.txt" 2>/dev/null',
        'ls -la "$S/up2/" "$S/to-root$OUTER" "$S/to-root/" 2>/dev/null',
        // Writes through them: they land in the guest's own file system, or fail.
        'echo pwned >"$S/abs-sentinel"; echo pwned >"$S/rel-sentinel"; echo pwned >"$S/to-root$SENTINEL"; echo pwned >"$S/up-all$SENTINEL"; echo pwned >"$S/../sentinel.txt"',
        'true',
      ].join('\n'),
      { SENTINEL: sentinel, OUTER: outer },
    );
    expect(out.code).toBe(0);
    expect(out.out).not.toContain(token);
    expect(sha256(sentinel)).toBe(before);
    expect(readFileSync(sentinel, 'utf8')).toBe(token);
    // On the host they are plain symlinks with the guest's text, inside the share.
    expect(lstatSync(join(share, 'to-root')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(share, 'to-root'))).toBe('/');
    expect(readlinkSync(join(share, 'up2'))).toBe('../../');
    // Nothing new appeared next to the share on the host.
    expect(readdirSync(outer).sort()).toEqual([SHARE_NAME, 'sentinel.txt'].sort());
    for (const l of ['to-root', 'up2', 'up-all', 'abs-sentinel', 'rel-sentinel']) rmSync(join(share, l));
  });

  it('a file created as root in the guest is owned on the host by the user running QEMU; chmod passes through', async () => {
    const { share, owner } = ctx();
    await ok('echo root >"$S/by-root" && mkdir "$S/dir-by-root" && chmod 640 "$S/by-root"');
    expect(statSync(join(share, 'by-root')).uid).toBe(owner);
    expect(statSync(join(share, 'by-root')).mode & 0o777).toBe(0o640);
    expect(statSync(join(share, 'dir-by-root')).uid).toBe(owner);
    // A guest user other than root, in a folder open to all.
    mkdirSync(join(share, 'open'));
    chmodSync(join(share, 'open'), 0o777);
    await ok("grep -q '^u1000:' /etc/passwd || echo 'u1000:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd");
    expect(await ok('su -p -s /bin/sh u1000 -c \'id -u; echo u1000 >"$S/open/by-1000"\'')).toBe('1000\n');
    const st = statSync(join(share, 'open/by-1000'));
    const chown = await sh('chown 1000:1000 "$S/by-root"');
    if (transport === '9p' && owner !== 0) {
      expect(st.uid).toBe(owner);
      // security_model=none: QEMU, not root, cannot give a file away; the guest is told so.
      expect(chown.code).not.toBe(0);
      expect(chown.err).toMatch(/Operation not permitted/);
      expect(statSync(join(share, 'by-root')).uid).toBe(owner);
    } else {
      // As root, QEMU and virtiofsd give a file the uid of the guest process that made it.
      expect(st.uid).toBe(1000);
      expect(chown.code).toBe(0);
      expect(statSync(join(share, 'by-root')).uid).toBe(1000);
    }
    rmSync(join(share, 'open'), { recursive: true });
    rmSync(join(share, 'by-root'));
    rmSync(join(share, 'dir-by-root'), { recursive: true });
  });

  // virtiofs: in 2 of 7 runs under TCG the guest locked up in runc while starting this container
  // ("watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [exe]", both CPUs; docs/guest-config.md).
  // 9p never did. Opt in with BERTH_TEST_VIRTIOFS_DOCKER=1 to look into it.
  it.skipIf(transport === 'virtiofs' && !process.env.BERTH_TEST_VIRTIOFS_DOCKER)('docker run -v "$PWD":/src sees and writes the host files; what a container makes is the QEMU user’s', async () => {
    const { share, owner } = ctx();
    await ctx().vm.vm.console.waitFor(/^berth: docker ready /, BOOT_TIMEOUT);
    const sock = await ctx().vm.serveDocker();
    await importTestImage({ docker: (args: string[]) => docker(sock, args) } as unknown as Berth);
    writeFileSync(join(share, 'from-host.txt'), 'made on the host\n');
    const r = await docker(sock, ['run', '--rm', '-v', `${share}:/src`, '-w', '/src', TEST_IMAGE, 'sh', '-c', 'cat from-host.txt && echo made in a container >from-container.txt && mkdir -p out && echo x >out/y']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('made on the host\n');
    expect(readFileSync(join(share, 'from-container.txt'), 'utf8')).toBe('made in a container\n');
    expect(statSync(join(share, 'from-container.txt')).uid).toBe(owner);
    expect(statSync(join(share, 'out/y')).uid).toBe(owner);
    rmSync(join(share, 'from-host.txt'));
    rmSync(join(share, 'from-container.txt'));
    rmSync(join(share, 'out'), { recursive: true });
  });

  it('a read-only share cannot be written from the guest, and stays as it was on the host', async () => {
    const { readOnlyShare } = ctx();
    const before = sha256(join(readOnlyShare, 'keep.txt'));
    const r = await sh('echo no >"$R/keep.txt"; echo no >"$R/new.txt"; rm -f "$R/keep.txt"; cat "$R/keep.txt"', { R: readOnlyShare });
    expect(r.out).toBe('keep me\n');
    expect(r.err).toMatch(/Read-only file system/);
    expect(sha256(join(readOnlyShare, 'keep.txt'))).toBe(before);
    expect(existsSync(join(readOnlyShare, 'new.txt'))).toBe(false);
  });
}

function prepare(prefix: string, owner: { uid: number; gid: number } | undefined) {
  const work = workDir(prefix);
  const outer = join(work.dir, 'host files');
  const share = join(outer, SHARE_NAME);
  const readOnlyShare = join(work.dir, 'read only');
  mkdirSync(share, { recursive: true });
  mkdirSync(readOnlyShare);
  writeFileSync(join(readOnlyShare, 'keep.txt'), 'keep me\n');
  const sentinel = join(outer, 'sentinel.txt');
  writeFileSync(sentinel, `host secret ${Date.now()} ${Math.random()}\n`, { mode: 0o666 });
  chmodSync(work.dir, 0o711);
  if (owner) {
    // The folders belong to the user QEMU runs as, as a user's own folders would; so does the
    // sentinel, so QEMU could overwrite it if anything let the guest reach it.
    for (const p of [outer, share, readOnlyShare, join(readOnlyShare, 'keep.txt'), sentinel]) chownSync(p, owner.uid, owner.gid);
  }
  return { work, outer, share, readOnlyShare, sentinel };
}

describe('9p shares (QEMU as an unprivileged user)', () => {
  const runAs = isRoot ? NOBODY : undefined;
  // Made in beforeAll, so a run that filters this suite out leaves nothing behind.
  let p: ReturnType<typeof prepare>;
  let vm: ShareVm | undefined;
  beforeAll(async () => {
    builtImage();
    p = prepare('shares9p', runAs);
    const plan = planShares(
      [
        { hostPath: p.share, writable: true },
        { hostPath: p.readOnlyShare, writable: false },
        { hostPath: join(p.work.dir, 'not there'), writable: true },
      ],
      { transport: '9p', platform: 'linux', folderKind: statFolderKind },
    );
    expect(plan.problems).toEqual([`shares[2].hostPath ${JSON.stringify(join(p.work.dir, 'not there'))} is not shared this time: it does not exist; create it or fix or remove shares[2].hostPath in the settings`]);
    vm = await bootShareVm({
      dir: p.work.dir,
      layout: plan,
      // A tag with no device behind it: the guest must say which share failed and boot on.
      extraMounts: [{ fstype: '9p', tag: 'share9', guestPath: '/no device here', readOnly: false }],
      ...(runAs ? { runAs } : {}),
      name: 'berth-shares-9p',
    });
  });
  afterAll(async () => {
    await vm?.stop();
    p?.work.cleanup();
  });
  shareSuite('9p', () => ({ vm: vm!, share: p.share, outer: p.outer, sentinel: p.sentinel, readOnlyShare: p.readOnlyShare, owner: vm!.qemuUid }));

  it('a share that cannot be mounted is named on the console and the boot goes on', async () => {
    const line = vm!.vm.console.lines.find((l) => l.startsWith('berth: share not mounted: share9'));
    expect(line).toMatch(/^berth: share not mounted: share9 9p \/no device here: .+\(uptime/);
    expect((await vm!.sh('echo alive')).out).toBe('alive\n');
  });

  it('QEMU runs as the unprivileged user', () => {
    if (!runAs) return;
    expect(statSync(`/proc/${vm!.vm.pid}`).uid).toBe(NOBODY.uid);
  });
});

describe.skipIf(!vfs.ok)(`virtiofs shares (virtiofsd as root, cache=${VIRTIOFS_CACHE})`, () => {
  let p: ReturnType<typeof prepare>;
  let vm: ShareVm | undefined;
  beforeAll(async () => {
    p = prepare('sharesvfs', undefined);
    const plan = planShares(
      [
        { hostPath: p.share, writable: true },
        { hostPath: p.readOnlyShare, writable: false },
      ],
      { transport: 'virtiofs', platform: 'linux', folderKind: statFolderKind, socketDir: p.work.dir },
    );
    expect(plan.guestMounts.map((m) => m.fstype)).toEqual(['virtiofs', '9p']);
    vm = await bootShareVm({ dir: p.work.dir, layout: plan, virtiofsCache: VIRTIOFS_CACHE, name: 'berth-shares-virtiofs' });
  });
  afterAll(async () => {
    const pids = vm?.virtiofsd?.pids ?? [];
    for (const d of vm?.virtiofsd?.processes ?? []) if (!d.running) console.log(`virtiofsd ended during the suite: ${JSON.stringify(await d.exited)}`);
    if (process.env.BERTH_TEST_KEEP_LOGS && vm) cpSync(vm.vmDir, process.env.BERTH_TEST_KEEP_LOGS, { recursive: true, filter: (f) => !f.endsWith('.qcow2') && !f.endsWith('.sock') });
    await vm?.stop();
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    p?.work.cleanup();
  });
  shareSuite('virtiofs', () => ({ vm: vm!, share: p.share, outer: p.outer, sentinel: p.sentinel, readOnlyShare: p.readOnlyShare, owner: vm!.qemuUid }));
});
