// Owns: tests of imageSpec.ts: the real vm-images/berth.yml parses, and mutated copies of its text
// fail with an ImageSpecError naming the line of the mistake (computed from the mutated text).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImageSpecError, loadImageSpec, parseImageSpec } from './imageSpec.ts';

const SPEC_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'berth.yml');
const REAL = readFileSync(SPEC_FILE, 'utf8');

/** 1-based number of the `nth` (0-based) line of `text` matching `re` at or after line `from`. */
function lineMatching(text: string, re: RegExp, nth = 0, from = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = from - 1; i < lines.length; i++) {
    if (re.test(lines[i]!)) {
      if (seen === nth) return i + 1;
      seen++;
    }
  }
  throw new Error(`fixture drift: no line ${nth} matching ${re} in berth.yml`);
}

/** Replace line `line` (1-based) with `replacement` (which may span several lines). */
function replaceLine(text: string, line: number, replacement: (old: string) => string): string {
  const lines = text.split('\n');
  lines[line - 1] = replacement(lines[line - 1]!);
  return lines.join('\n');
}

function specError(text: string): ImageSpecError {
  try {
    parseImageSpec(text, 'berth.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(ImageSpecError);
    return e as ImageSpecError;
  }
  throw new Error('expected parseImageSpec to throw');
}

function expectErrorAt(text: string, line: number, message: RegExp): ImageSpecError {
  const err = specError(text);
  expect(err.file).toBe('berth.yml');
  expect(err.line).toBe(line);
  expect(err.message.startsWith(`berth.yml:${line}: `)).toBe(true);
  expect(err.message).toMatch(message);
  return err;
}

describe('the real berth.yml', () => {
  it('parses and validates', () => {
    const { spec, locate } = loadImageSpec(SPEC_FILE);
    expect(spec.name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(spec.arch).toBe('x86_64');
    expect(spec.kernel.cmdline.length).toBeGreaterThan(0);
    expect(spec.kernel.modules.length).toBeGreaterThan(0);
    expect(spec.packages.length).toBeGreaterThan(0);
    for (const p of spec.packages) for (const f of p.files) expect(f.startsWith('/')).toBe(true);
    const paths = spec.files.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    // locate answers the line the value is on in the real text.
    expect(locate(['kernel', 'modules', 0])).toBe(lineMatching(REAL, new RegExp(`^\\s+- ${spec.kernel.modules[0]}\\b`)));
    expect(locate(['kernel', 'cmdline'])).toBe(lineMatching(REAL, /^ {2}cmdline:/));
    expect(locate(['files', 0])).toBe(lineMatching(REAL, /^ {2}- \{path: /));
    expect(locate(['files', spec.files.length - 1, 'path'])).toBe(lineMatching(REAL, /^ {2}- \{path: /, spec.files.length - 1));
  });

  it('answers "build: []" when the build section is left out', () => {
    const start = lineMatching(REAL, /^build:/);
    const lines = REAL.split('\n');
    let end = start;
    while (lines[end] !== undefined && /^\s+\S/.test(lines[end]!)) end++;
    const without = [...lines.slice(0, start - 1), ...lines.slice(end)].join('\n');
    expect(parseImageSpec(without, 'berth.yml').spec.build).toEqual([]);
  });
});

describe('errors name the line of the mistake', () => {
  it('an unknown top-level key, on the line of that key', () => {
    const filesLine = lineMatching(REAL, /^files:/);
    const text = replaceLine(REAL, filesLine, (old) => `colour: blue\n${old}`);
    const err = expectErrorAt(text, filesLine, /Unrecognized key: "colour"/);
    expect(err.message).toMatch(/\(top level\)/);
  });

  it('an unknown top-level key holding a block, on the line of the key', () => {
    const readyLine = lineMatching(REAL, /^ready:/);
    const text = replaceLine(REAL, readyLine, (old) => `${old}\nextras:\n  - one\n  - two`);
    expectErrorAt(text, readyLine + 1, /Unrecognized key: "extras"/);
  });

  it('an unknown key inside a files entry, on that entry', () => {
    const line = lineMatching(REAL, /^ {2}- \{path: [^,]+, contents: /);
    const text = replaceLine(REAL, line, (old) => old.replace(/\}$/, ', colour: red}'));
    expectErrorAt(text, line, /^berth\.yml:\d+: files\.\d+ Unrecognized key: "colour"/);
  });

  it('a bad module name', () => {
    const modules = lineMatching(REAL, /^ {2}modules:/);
    const line = lineMatching(REAL, /^ {4}- [A-Za-z0-9_-]+/, 1, modules);
    const text = replaceLine(REAL, line, () => '    - "bad name"');
    expectErrorAt(text, line, /kernel\.modules\.1 is not a kernel module name/);
  });

  it('a relative path in packages[].files', () => {
    const line = lineMatching(REAL, /^ {4}files: \[\//, 2);
    const text = replaceLine(REAL, line, (old) => old.replace('[/', '['));
    expectErrorAt(text, line, /packages\.2\.files\.0 must be an absolute, normalised path/);
  });

  it('a path with ".." in packages[].files', () => {
    const line = lineMatching(REAL, /^ {4}files: \[\//, 1);
    const text = replaceLine(REAL, line, (old) => old.replace('[/', '[/usr/../'));
    expectErrorAt(text, line, /packages\.1\.files\.0 must be an absolute, normalised path \(no "\.\."/);
  });

  it('a path with ".." in files[].path', () => {
    const line = lineMatching(REAL, /^ {2}- \{path: \//, 3);
    const text = replaceLine(REAL, line, (old) => old.replace('{path: /', '{path: /tmp/../'));
    expectErrorAt(text, line, /files\.3\.path must be an absolute, normalised path/);
  });

  it('a trailing "/" or a "//" in a path, as the message promises', () => {
    const line = lineMatching(REAL, /^ {4}files: \[\//, 0);
    for (const bad of ['/usr/sbin/', '/usr//sbin/x']) {
      const text = replaceLine(REAL, line, (old) => old.replace(/\[[^\],]+/, `[${bad}`));
      expectErrorAt(text, line, /packages\.0\.files\.0 must be an absolute, normalised path/);
    }
  });

  it('a file entry with both source and contents', () => {
    const line = lineMatching(REAL, /^ {2}- \{path: [^,]+, contents: /);
    const text = replaceLine(REAL, line, (old) => old.replace(/\}$/, ', source: rootfs/x}'));
    expectErrorAt(text, line, /files\.\d+ needs exactly one of source, contents, symlink, directory, concat/);
  });

  it('a path listed twice in files, on the second one', () => {
    const first = lineMatching(REAL, /^ {2}- \{path: \//);
    const firstPath = /\{path: ([^,]+),/.exec(REAL.split('\n')[first - 1]!)![1]!;
    const later = lineMatching(REAL, /^ {2}- \{path: \/[^,]+, directory: true\}$/, 0, first + 5);
    const text = replaceLine(REAL, later, (old) => old.replace(/\{path: [^,]+,/, `{path: ${firstPath},`));
    expectErrorAt(text, later, new RegExp(`${firstPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is listed twice in files`));
  });

  it('a YAML syntax error (nested mapping)', () => {
    const line = lineMatching(REAL, /^arch:/);
    const text = replaceLine(REAL, line, (old) => `${old}: y`);
    expectErrorAt(text, line, /Nested mappings are not allowed/);
  });

  it('a YAML syntax error (tab indentation)', () => {
    const line = lineMatching(REAL, /^ {2}package: /);
    const text = replaceLine(REAL, line, (old) => old.replace(/^ {2}/, '\t'));
    expectErrorAt(text, line, /Tabs are not allowed/);
  });

  it('a duplicate key', () => {
    const line = lineMatching(REAL, /^arch:/);
    const text = replaceLine(REAL, line, (old) => `${old}\n${old}`);
    expectErrorAt(text, line + 1, /unique/);
  });

  it('a missing kernel.cmdline, on the kernel: key', () => {
    const kernel = lineMatching(REAL, /^kernel:/);
    const cmdline = lineMatching(REAL, /^ {2}cmdline:/);
    expect(cmdline).toBeGreaterThan(kernel);
    const lines = REAL.split('\n');
    lines.splice(cmdline - 1, 1);
    expectErrorAt(lines.join('\n'), kernel, /^berth\.yml:\d+: kernel\.cmdline /);
  });

  it('an error without a line keeps the plain file prefix', () => {
    const e = new ImageSpecError('x.yml', undefined, 'broken');
    expect(e.message).toBe('x.yml: broken');
    expect(e.name).toBe('ImageSpecError');
  });
});
