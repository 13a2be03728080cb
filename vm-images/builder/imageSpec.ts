// The schema of vm-images/berth.yml and its loader.
// Every error names the file and line it comes from, so a typo is a one-line fix.
import { readFileSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq } from 'yaml';
import { z } from 'zod';

const absPath = z
  .string()
  .refine((p) => p.startsWith('/') && normalize(p) === p && (p === '/' || !p.endsWith('/')) && !p.includes('\0'), {
    message: 'must be an absolute, normalised path (no "..", no "//", no trailing "/")',
  });
const relSource = z
  .string()
  .refine((p) => !isAbsolute(p) && !normalize(p).startsWith('..'), {
    message: 'must be a path inside vm-images/ (relative, no "..")',
  });
const debName = z.string().regex(/^[a-z0-9][a-z0-9.+-]+$/, 'is not a Debian package name');
const moduleName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'is not a kernel module name');
const octalMode = z.string().regex(/^[0-7]{3,4}$/, 'must be an octal mode such as "0755"');

const fileSpec = z
  .object({
    path: absPath,
    mode: octalMode.optional(),
    source: relSource.optional(),
    contents: z.string().optional(),
    symlink: z.string().min(1).optional(),
    directory: z.literal(true).optional(),
    concat: absPath.optional(),
  })
  .strict()
  .refine(
    (f) => [f.source, f.contents, f.symlink, f.directory, f.concat].filter((v) => v !== undefined).length === 1,
    { message: 'needs exactly one of source, contents, symlink, directory, concat' },
  );

export const imageSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    arch: z.literal('x86_64'),
    kernel: z
      .object({
        package: debName,
        cmdline: z.string().min(1),
        modules: z.array(moduleName).min(1),
        /** Copied with their dependencies and tried at boot after `modules`; one that cannot load (no such hardware) is skipped. */
        optionalModules: z.array(moduleName).default([]),
      })
      .strict(),
    packages: z.array(z.object({ name: debName, files: z.array(absPath).min(1) }).strict()).min(1),
    libraries: z.array(debName),
    build: z.array(z.object({ go: relSource, output: absPath }).strict()).default([]),
    init: relSource,
    onboot: z.array(z.object({ name: z.string().regex(/^[a-z][a-z0-9-]*$/), run: absPath }).strict()),
    services: z.array(
      z
        .object({
          name: z.string().regex(/^[a-z][a-z0-9-]*$/),
          run: z.array(z.string().min(1)).min(1),
          // Paths that must all exist before it starts (a step's /run/berth/step-<name>, a socket …).
          waitFor: z.union([absPath, z.array(absPath).min(1)]).optional(),
          // Under an emulated CPU (berth.cpu=emulated), start it without address-space randomization:
          // QEMU's TCG then reuses its translations of shared libraries across the many short processes
          // the service runs (dockerd's iptables: ~30 → ~8 ms each). Never for a service whose children
          // become containers: the personality is inherited.
          noAslrWhenEmulated: z.boolean().optional(),
        })
        .strict(),
    ),
    ready: absPath,
    shutdown: absPath,
    files: z.array(fileSpec),
  })
  .strict();

export type ImageSpec = z.infer<typeof imageSpecSchema>;
export type FileSpec = ImageSpec['files'][number];

export class ImageSpecError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'ImageSpecError';
  }
}

/** Parse and validate the definition; `locate(path)` answers the line of any value in it. */
export function parseImageSpec(text: string, file: string): { spec: ImageSpec; locate: (p: (string | number)[]) => number | undefined } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    throw new ImageSpecError(file, lineCounter.linePos(first.pos[0]).line, first.message.split('\n')[0] ?? 'YAML error');
  }
  const lineAt = (node: unknown): number | undefined =>
    isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
  // The line of the deepest part of `path` that exists: a map entry by its key's line (so a
  // missing or unknown key points at its parent's key, not at the parent's first entry).
  const locate = (path: (string | number)[]): number | undefined => {
    let node: unknown = doc.contents;
    let line = lineAt(node);
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(step));
        if (!pair) break;
        line = lineAt(pair.key) ?? lineAt(pair.value) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number' && node.items[step] !== undefined) {
        node = node.items[step];
        line = lineAt(node) ?? line;
      } else break;
    }
    return line;
  };
  const parsed = imageSpecSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const where = path.length ? path.join('.') : '(top level)';
    // An unknown key is reported on its object; point at the key itself.
    const at = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
    throw new ImageSpecError(file, locate(at), `${where} ${issue.message}`);
  }
  const spec = parsed.data;
  const seen = new Map<string, number>();
  spec.files.forEach((f, i) => {
    if (seen.has(f.path)) throw new ImageSpecError(file, locate(['files', i]), `${f.path} is listed twice in files`);
    seen.set(f.path, i);
  });
  return { spec, locate };
}

export function loadImageSpec(file: string): { spec: ImageSpec; locate: (p: (string | number)[]) => number | undefined } {
  return parseImageSpec(readFileSync(file, 'utf8'), file);
}
