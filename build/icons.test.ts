// Tests: every tray state has its icon files (colour and macOS template, 16 and 32 px) and they are
// valid PNGs of the right size; template images are black plus alpha; the states differ in shape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trayIconFile, trayIconFiles } from '../electron/main/trayIcons.ts';
import { trayIcons } from '../electron/main/trayModel.ts';

const here = new URL('.', import.meta.url).pathname;

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes an 8-bit RGBA, non-interlaced PNG fully (every chunk CRC checked, every filter type undone). */
function decodePng(file: string): { width: number; height: number; rgba: Uint8Array } {
  const png = readFileSync(file);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  let ended = false;
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    expect(png.readUInt32BE(at + 8 + len), `${file} ${type} CRC`).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)], `${file}: 8-bit RGBA, no interlace`).toEqual([8, 6, 0, 0, 0]);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    at += 12 + len;
  }
  expect(ended, `${file} has IEND`).toBe(true);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe(height * (stride + 1));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    expect(filter, `${file}: row ${y} filter`).toBeLessThanOrEqual(4);
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= 4 ? (rgba[y * stride + x - 4] as number) : 0;
      const b = y > 0 ? (rgba[(y - 1) * stride + x] as number) : 0;
      const c = x >= 4 && y > 0 ? (rgba[(y - 1) * stride + x - 4] as number) : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter] as number;
      rgba[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, rgba };
}

const alphaMask = (rgba: Uint8Array): string => Array.from({ length: rgba.length / 4 }, (_, i) => ((rgba[i * 4 + 3] as number) > 127 ? '#' : '.')).join('');

describe('tray icons (build/icons)', () => {
  it('one colour and one template icon per state, at 16 and 32 px, valid PNGs of that size', () => {
    const files = trayIconFiles();
    expect(files).toHaveLength(trayIcons.length * 4);
    for (const { file, size, template } of files) {
      const png = decodePng(join(here, 'icons', file));
      expect([png.width, png.height], file).toEqual([size, size]);
      const opaque = Array.from({ length: size * size }, (_, i) => png.rgba[i * 4 + 3] as number).filter((a) => a > 0);
      expect(opaque.length, `${file} draws something`).toBeGreaterThan(size);
      if (template) {
        for (let i = 0; i < size * size; i++) {
          if ((png.rgba[i * 4 + 3] as number) > 0) expect([png.rgba[i * 4], png.rgba[i * 4 + 1], png.rgba[i * 4 + 2]], `${file} is black + alpha`).toEqual([0, 0, 0]);
        }
      }
    }
  });

  it('the names the shell loads are among them (macOS: template images)', () => {
    const names = new Set(trayIconFiles().map((f) => f.file));
    for (const icon of trayIcons) {
      expect(names.has(trayIconFile(icon, 'darwin'))).toBe(true);
      expect(trayIconFile(icon, 'darwin')).toMatch(/Template\.png$/);
      expect(names.has(trayIconFile(icon, 'linux'))).toBe(true);
      expect(names.has(trayIconFile(icon, 'win32'))).toBe(true);
    }
  });

  it('every state has its own shape, so the icons differ without colour', () => {
    for (const size of ['', '@2x']) {
      const masks = trayIcons.map((icon) => alphaMask(decodePng(join(here, 'icons', `tray-${icon}Template${size}.png`)).rgba));
      expect(new Set(masks).size, `template${size} masks`).toBe(trayIcons.length);
    }
  });

  it('the app icon is a 512 px PNG', () => {
    const png = decodePng(join(here, 'icon.png'));
    expect([png.width, png.height]).toEqual([512, 512]);
  });
});
