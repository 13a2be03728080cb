// Owns: tests of guestConfigFiles.ts: shQuote round trips through a real /bin/sh, and the generated
// inittab, onboot list, service definitions (sourced by /bin/sh) and modules list.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { inittab, modulesList, onbootList, serviceDefinition, shQuote } from './guestConfigFiles.ts';
import type { ImageSpec } from './imageSpec.ts';

/** Run a script in a real /bin/sh with a clean environment; answer its stdout. */
function sh(script: string): string {
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const HOSTILE = [
  '$(id)',
  '`id`',
  "it's",
  "''",
  '"double"',
  'a;b',
  'semi; rm -rf /nonexistent',
  'line1\nline2',
  '\n',
  'two  spaces ',
  ' ',
  '',
  '$HOME',
  '${PATH}',
  '\\',
  '\\n',
  '*',
  '~',
  '&&|<>',
  '#comment',
  '-n',
  '%s%d',
  'tab\there',
  'ünïcødé ✓',
  "'\"'\"'",
];

describe('shQuote', () => {
  it.each(HOSTILE.map((w) => [JSON.stringify(w), w]))('round-trips %s through /bin/sh unevaluated', (_label, word) => {
    expect(sh(`printf %s ${shQuote(word)}`)).toBe(word);
  });

  it('keeps a whole list of hostile words as separate arguments', () => {
    const out = sh(`for a in ${HOSTILE.map(shQuote).join(' ')}; do printf '%s\\0' "$a"; done`);
    expect(out.split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  it('wraps in single quotes and escapes only single quotes', () => {
    expect(shQuote('plain')).toBe("'plain'");
    expect(shQuote('')).toBe("''");
    expect(shQuote("a'b")).toBe("'a'\\''b'");
  });

  it('throws on a NUL byte', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });
});

const spec = {
  name: 'berth',
  arch: 'x86_64',
  kernel: { package: 'linux-image-amd64', cmdline: 'console=ttyS0', modules: ['virtio_blk'], optionalModules: [] },
  packages: [{ name: 'busybox-static', files: ['/bin/busybox'] }],
  libraries: [],
  build: [],
  init: 'rootfs/init',
  onboot: [
    { name: 'modules', run: '/etc/berth/steps/modules' },
    { name: 'disk', run: '/etc/berth/steps/disk' },
  ],
  services: [
    { name: 'containerd', run: ['/usr/bin/containerd', '--config', '/etc/containerd/config.toml'] },
    {
      name: 'dockerd',
      waitFor: '/run/containerd/containerd.sock',
      run: ['/usr/sbin/dockerd', '--host', 'unix:///var/run/docker.sock', "--label=it's $(id) `x`", '--opt', 'a b;c'],
    },
  ],
  ready: '/etc/berth/ready',
  shutdown: '/etc/berth/shutdown',
  files: [],
} satisfies ImageSpec;

describe('inittab', () => {
  it('has sysinit, one respawn per service in order, the ready hook once and the shutdown hook', () => {
    expect(inittab(spec)).toBe(
      [
        '# Generated from vm-images/berth.yml by the image builder. busybox init reads it.',
        '::sysinit:/etc/berth/boot',
        '::respawn:/sbin/berth-service containerd',
        '::respawn:/sbin/berth-service dockerd',
        '::once:/etc/berth/ready',
        '::shutdown:/etc/berth/shutdown',
        '',
      ].join('\n'),
    );
  });

  it('has no respawn lines without services', () => {
    expect(inittab({ ...spec, services: [] })).not.toMatch(/respawn/);
  });
});

describe('onbootList', () => {
  it('writes name<TAB>path lines in order', () => {
    expect(onbootList(spec)).toBe('modules\t/etc/berth/steps/modules\ndisk\t/etc/berth/steps/disk\n');
    expect(onbootList({ ...spec, onboot: [] })).toBe('');
  });
});

describe('serviceDefinition', () => {
  const source = (def: string, print: string): string => sh(`${def}\n${print}`);

  it('sourced by /bin/sh, gives back the argv exactly and an empty WAIT_FOR', () => {
    const def = serviceDefinition(spec.services[0]!);
    expect(def.startsWith('# Generated from vm-images/berth.yml (service containerd).\n')).toBe(true);
    expect(def.endsWith('\n')).toBe(true);
    expect(source(def, `printf '%s\\n' "$@"`)).toBe('/usr/bin/containerd\n--config\n/etc/containerd/config.toml\n');
    expect(source(def, `printf '[%s]' "$WAIT_FOR"`)).toBe('[]');
  });

  it('keeps hostile arguments and WAIT_FOR intact', () => {
    const svc = spec.services[1]!;
    const def = serviceDefinition(svc);
    expect(source(def, `printf '%s\\n' "$@"`)).toBe(`${svc.run.join('\n')}\n`);
    expect(source(def, `printf '%s\\n' "$#"`)).toBe(`${svc.run.length}\n`);
    expect(source(def, `printf '%s' "$WAIT_FOR"`)).toBe('/run/containerd/containerd.sock');
  });

  it('keeps arguments with newlines, quotes and an empty one', () => {
    const run = ['/bin/x', '', 'a\nb', "'", '"', '$(touch /tmp/berth-should-not-exist)', '\\'];
    const def = serviceDefinition({ name: 'weird', run, waitFor: "/run/it's here" });
    expect(source(def, `printf '%s\\0' "$@"`).split('\0').slice(0, -1)).toEqual(run);
    expect(source(def, `printf '%s' "$WAIT_FOR"`)).toBe("/run/it's here");
  });

  it('gives several waitFor paths one per line, and the emulated-CPU flag only when asked', () => {
    const def = serviceDefinition({ name: 'd', run: ['/x'], waitFor: ['/run/a b', "/run/it's", '/run/*'], noAslrWhenEmulated: true });
    const each = `set -f; IFS='
'; for p in $WAIT_FOR; do printf '[%s]' "$p"; done`;
    expect(source(def, each)).toBe("[/run/a b][/run/it's][/run/*]");
    expect(source(def, 'printf %s "$NO_ASLR_WHEN_EMULATED"')).toBe('1');
    expect(source(serviceDefinition({ name: 'e', run: ['/x'] }), 'printf "[%s]" "$NO_ASLR_WHEN_EMULATED"')).toBe('[]');
  });
});

describe('modulesList', () => {
  it('writes absolute guest paths in load order, one per line', () => {
    expect(modulesList('6.1.0-9-amd64', ['kernel/lib/libcrc32c.ko', 'kernel/fs/ext4/ext4.ko'])).toBe(
      '/lib/modules/6.1.0-9-amd64/kernel/lib/libcrc32c.ko\n/lib/modules/6.1.0-9-amd64/kernel/fs/ext4/ext4.ko\n',
    );
    expect(modulesList('6.1.0-9-amd64', [])).toBe('');
  });
});
