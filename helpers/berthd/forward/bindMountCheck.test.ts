// Owns: tests of bindMountCheck.ts: Binds and Mounts, named volumes, odd and relative paths, `..` escapes,
// read-only shares, the VM's own paths, Windows sources, and the messages with their settings command.
import { describe, expect, it } from 'vitest';
import { bindSources, checkContainerCreate, normaliseHostPath, type Share } from './bindMountCheck.ts';

const home: Share[] = [{ hostPath: '/home/ann', writable: true }];
const binds = (...b: unknown[]) => ({ Image: 'alpine', HostConfig: { Binds: b } });
const mounts = (...m: unknown[]) => ({ Image: 'alpine', HostConfig: { Mounts: m } });
const ok = { ok: true };
const refused = (body: unknown, shares = home): string => {
  const r = checkContainerCreate(body, shares);
  if (r.ok) throw new Error(`expected a refusal of ${JSON.stringify(body)}`);
  return r.message;
};
/** The shares JSON of the suggested `berth settings set shares='…' --apply`. */
const suggested = (message: string): Share[] => JSON.parse(/shares='([^']*)' --apply$/.exec(message)![1]!) as Share[];

describe('checkContainerCreate', () => {
  it('the documented message for a source outside every share', () => {
    expect(refused(binds('/opt/data:/data'))).toBe(
      'Berth: the bind mount source /opt/data is not inside a folder Berth shares with the VM (setting "shares": /home/ann). ' +
        `Add it with: berth settings set shares='[{"hostPath":"/home/ann","writable":true},{"hostPath":"/opt/data","writable":true}]' --apply`,
    );
  });

  it('allows binds inside a share, by path component', () => {
    expect(checkContainerCreate(binds('/home/ann:/src', '/home/ann/code/x:/x:ro', '/home/ann/a b:/y:rw,z'), home)).toEqual(ok);
    expect(refused(binds('/home/annex:/src'))).toMatch(/source \/home\/annex is not inside/);
    expect(refused(binds('/home:/src'))).toMatch(/source \/home is not inside/);
  });

  it('allows named and anonymous volumes, and leaves relative and invalid specs to dockerd', () => {
    expect(checkContainerCreate(binds('data:/data', 'my_vol.1:/v:ro', '/anon', './rel:/r', 'rel/x:/r', '~/x:/r', ':/r', '/a:/b:ro:extra'), home)).toEqual(ok);
    expect(checkContainerCreate(mounts({ Type: 'volume', Source: 'data', Target: '/d' }, { Type: 'tmpfs', Target: '/t' }, { Type: 'bind', Source: 'rel', Target: '/r' }), home)).toEqual(ok);
  });

  it('does not crash on bodies of any shape', () => {
    for (const body of [undefined, null, 1, 'x', [], {}, { HostConfig: null }, { HostConfig: [] }, { HostConfig: { Binds: 'x', Mounts: {} } }, binds(1, null, {}, ['/opt:/o']), mounts(null, 1, { Type: 'bind' }, { Type: 'bind', Source: 5 })]) {
      expect(checkContainerCreate(body, home)).toEqual(ok);
    }
  });

  it('normalises // , trailing / and . segments, and resolves .. lexically', () => {
    expect(checkContainerCreate(binds('//home//ann/./code/:/c', '/home/ann/x/../y:/y', '/../home/ann:/h', '/home/bob/../ann/z:/z'), home)).toEqual(ok);
    expect(refused(binds('/home/ann/../bob:/b'))).toContain('source /home/ann/../bob (that is /home/bob) is not inside');
    expect(refused(binds('/home/ann/x/../../../etc:/e'))).toContain('(that is /etc)');
    expect(suggested(refused(binds('/home/ann/../bob/:/b')))).toEqual([...home, { hostPath: '/home/bob', writable: true }]);
  });

  it('checks Mounts of Type bind like Binds', () => {
    expect(checkContainerCreate(mounts({ Type: 'bind', Source: '/home/ann/x', Target: '/x' }), home)).toEqual(ok);
    expect(refused(mounts({ Type: 'bind', Source: '/srv/www', Target: '/www', ReadOnly: true }))).toMatch(/^Berth: the bind mount source \/srv\/www is not inside/);
    expect(refused({ HostConfig: { Binds: ['/home/ann:/a'], Mounts: [{ Type: 'bind', Source: '/etc', Target: '/e' }] } })).toContain('source /etc is not');
  });

  it('allows the VM paths users rely on, and what is under them', () => {
    const vm = ['/var/run/docker.sock', '/run/docker.sock', '/proc', '/sys/fs/cgroup', '/dev', '/dev/kvm', '/lib/modules', '/lib/modules/6.1/x', '/var/lib/docker', '/var/lib/docker/volumes'];
    expect(checkContainerCreate(binds(...vm.map((p) => `${p}:${p}`)), [])).toEqual(ok);
    expect(checkContainerCreate(mounts({ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }), [])).toEqual(ok);
    for (const p of ['/var/run', '/run', '/var/lib', '/lib', '/devices', '/var/lib/dockerd', '/', '/proc/../etc']) expect(refused(binds(`${p}:/x`))).toMatch(/is not inside/);
  });

  it('refuses a writable bind into a read-only share, and allows a read-only one', () => {
    const shares: Share[] = [{ hostPath: '/home/ann', writable: true }, { hostPath: '/srv/ro', writable: false }];
    expect(checkContainerCreate(binds('/srv/ro/x:/x:ro', '/srv/ro:/y:z,ro'), shares)).toEqual(ok);
    expect(checkContainerCreate(mounts({ Type: 'bind', Source: '/srv/ro', Target: '/y', ReadOnly: true }), shares)).toEqual(ok);
    const m = refused(binds('/srv/ro/x:/x'), shares);
    expect(m).toBe(
      'Berth: the bind mount source /srv/ro/x is writable, but it is inside /srv/ro, which Berth shares with the VM read-only (setting "shares"). ' +
        `Mount that one read-only (add :ro to -v, or readonly to --mount), or make the share writable with: berth settings set shares='[{"hostPath":"/home/ann","writable":true},{"hostPath":"/srv/ro","writable":true}]' --apply`,
    );
    expect(refused(binds('/srv/ro/x:/x:rw'), shares)).toBe(m);
    expect(refused(mounts({ Type: 'bind', Source: '/srv/ro/x', Target: '/x', ReadOnly: false }), shares)).toBe(m);
  });

  it('one message for several problems, with one command that fixes them all', () => {
    const shares: Share[] = [{ hostPath: '/srv/ro', writable: false }];
    const m = refused({ HostConfig: { Binds: ['/opt/a:/a:ro', '/opt/a:/a2:ro', '/srv/ro/x:/x', '/etc/y:/y'] } }, shares);
    expect(m).toContain('sources /opt/a, /etc/y are not inside a folder Berth shares with the VM (setting "shares": /srv/ro (read-only)); and the bind mount source /srv/ro/x is writable');
    expect(m).toContain('or fix all of them with:');
    expect(suggested(m)).toEqual([
      { hostPath: '/srv/ro', writable: true },
      { hostPath: '/opt/a', writable: false },
      { hostPath: '/etc/y', writable: true },
    ]);
  });

  it('suggests folders that pass the settings checks: no share inside another', () => {
    const shares: Share[] = [{ hostPath: '/home/ann', writable: true }, { hostPath: '/opt/a/b', writable: false }];
    expect(suggested(refused(binds('/opt/a:/a:ro', '/opt/a/c:/c', '/opt/a/b/d:/d:ro'), shares))).toEqual([
      { hostPath: '/home/ann', writable: true },
      { hostPath: '/opt/a', writable: true },
    ]);
    expect(suggested(refused(binds('/home:/h:ro'), shares))).toEqual([
      { hostPath: '/opt/a/b', writable: false },
      { hostPath: '/home', writable: true },
    ]);
    expect(refused(binds('/opt:/o'), [])).toContain(`(setting "shares": none). Add it with: berth settings set shares='[{"hostPath":"/opt","writable":true}]' --apply`);
  });

  it('quotes a source with a single quote for the shell', () => {
    const m = refused(binds("/opt/it's:/x"));
    expect(m).toContain(`shares='[{"hostPath":"/home/ann","writable":true},{"hostPath":"/opt/it'\\''s","writable":true}]' --apply`);
  });

  it('Windows sources: outside unless a share matches case-insensitively', () => {
    const win: Share[] = [{ hostPath: 'C:\\Users\\Ann', writable: true }];
    expect(checkContainerCreate(binds('c:\\users\\ann\\code:/src', 'C:/Users/Ann/x:/x:ro'), win)).toEqual(ok);
    expect(checkContainerCreate(mounts({ Type: 'bind', Source: 'C:\\USERS\\ANN', Target: '/a' }), win)).toEqual(ok);
    expect(refused(binds('C:\\Users\\Bob:/b'), win)).toContain(`source C:\\Users\\Bob is not inside`);
    expect(refused(binds('C:\\data:/data'))).toContain('"hostPath":"C:\\\\data"');
    expect(refused(binds('D:\\x\\..\\y:/y:ro'), win)).toContain('D:\\x\\..\\y (that is D:\\y)');
    expect(refused(mounts({ Type: 'bind', Source: '\\\\server\\share\\x', Target: '/s' }), win)).toContain('\\\\server\\share\\x');
    expect(checkContainerCreate(binds('C:\\Users\\Ann:/a'), home)).not.toEqual(ok);
  });

  it('reads field names case-insensitively, as the Go JSON decoder of dockerd does', () => {
    expect(refused({ hostconfig: { binds: ['/opt:/o'] } })).toContain('source /opt is not');
    expect(refused({ HOSTCONFIG: { mounts: [{ type: 'bind', source: '/etc', readonly: true }] } })).toContain('source /etc is not');
    expect(refused({ ['Ho\u017ftConfig']: { Binds: ['/opt:/o'] } })).toContain('source /opt is not');
    // The last of the keys that fold alike wins, as in Go.
    expect(checkContainerCreate({ HostConfig: { Binds: ['/opt:/o'] }, hostConfig: { Binds: [] } }, home)).toEqual(ok);
    // Mount types are values, not names: only "bind" is a bind.
    expect(checkContainerCreate(mounts({ Type: 'Bind', Source: '/etc', Target: '/e' }), home)).toEqual(ok);
  });

  it('ignores shares that are not absolute paths', () => {
    expect(refused(binds('/opt:/o'), [{ hostPath: 'relative', writable: true }])).toContain('is not inside');
  });
});

describe('bindSources', () => {
  it('reads the source and whether it writes', () => {
    expect(bindSources({ HostConfig: { Binds: ['/a:/a', '/b:/b:ro', '/c:/c:rw', '/d:/d:Z,ro', '/e:/e:rslave', 'vol:/v', 'C:\\w:/w:ro'], Mounts: [{ Type: 'bind', Source: '/f', Target: '/f', ReadOnly: true }] } })).toEqual([
      { source: '/a', writes: true },
      { source: '/b', writes: false },
      { source: '/c', writes: true },
      { source: '/d', writes: false },
      { source: '/e', writes: true },
      { source: 'C:\\w', writes: false },
      { source: '/f', writes: false },
    ]);
  });
});

describe('normaliseHostPath', () => {
  it('resolves lexically and keys Windows paths case-insensitively', () => {
    expect(normaliseHostPath('/')).toEqual({ path: '/', key: '/' });
    expect(normaliseHostPath('/a//b/./c/../d/')).toEqual({ path: '/a/b/d', key: '/a/b/d' });
    expect(normaliseHostPath('/../..')).toEqual({ path: '/', key: '/' });
    expect(normaliseHostPath('c:\\Users\\..\\Temp')).toEqual({ path: 'C:\\Temp', key: 'c:/temp' });
    expect(normaliseHostPath('relative/x')).toBeUndefined();
    expect(normaliseHostPath('')).toBeUndefined();
  });
});
