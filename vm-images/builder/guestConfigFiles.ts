// Pure builders of the files the builder generates from berth.yml for the guest's init:
// /etc/inittab, /etc/berth/onboot.list, /etc/berth/services/<name>, /etc/berth/modules.list.
import type { ImageSpec } from './imageSpec.ts';

/** Quote one word for POSIX sh so that it is never evaluated. */
export function shQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a NUL byte cannot be passed to the shell');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** busybox init's table: boot steps, supervised services, the ready hook and the shutdown hook. */
export function inittab(spec: ImageSpec): string {
  const lines = [
    '# Generated from vm-images/berth.yml by the image builder. busybox init reads it.',
    '::sysinit:/etc/berth/boot',
    ...spec.services.map((s) => `::respawn:/sbin/berth-service ${s.name}`),
    `::once:${spec.ready}`,
    `::shutdown:${spec.shutdown}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** One `name<TAB>path` line per onboot step, in order. */
export function onbootList(spec: ImageSpec): string {
  return spec.onboot.map((s) => `${s.name}\t${s.run}\n`).join('');
}

/** The definition of one service, sourced by /sbin/berth-service: WAIT_FOR and the argv. */
export function serviceDefinition(service: ImageSpec['services'][number]): string {
  return [
    `# Generated from vm-images/berth.yml (service ${service.name}).`,
    `WAIT_FOR=${shQuote([service.waitFor ?? []].flat().join('\n'))}`,
    `NO_ASLR_WHEN_EMULATED=${service.noAslrWhenEmulated ? '1' : ''}`,
    `set -- ${service.run.map(shQuote).join(' ')}`,
    '',
  ].join('\n');
}

/** Module paths (absolute in the guest) in load order, one per line. */
export function modulesList(kernelVersion: string, load: string[]): string {
  return load.map((rel) => `/lib/modules/${kernelVersion}/${rel}\n`).join('');
}
