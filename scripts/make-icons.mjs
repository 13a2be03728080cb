// Draws Berth's tray icons (one per VM state, 16 px and 32 px, colour and macOS template variants)
// and the 512 px app icon as PNGs in build/; `--check` fails when the committed files are stale.
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const iconsDir = join(root, 'build', 'icons');

// ---- PNG encoding (RGBA, 8 bits per channel, filter 0 on every row) ----

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
/** Rows of filter byte 0 + RGBA: what IDAT inflates to (also what --check compares). */
function scanlines(width, height, rgba) {
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 4)] = 0;
    rgba.copy(raw, y * (1 + width * 4) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return raw;
}
function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = deflateSync(scanlines(width, height, rgba), { level: 9 });
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
/** The inflated IDAT of a PNG this script wrote (one IDAT chunk). */
function idatOf(png) {
  const parts = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  return inflateSync(Buffer.concat(parts));
}

// ---- Shapes as signed distances in a unit square (negative inside) ----

const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx, cy, r, width) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;
const capsule = (ax, ay, bx, by, r) => (x, y) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - ax - t * dx, y - ay - t * dy) - r;
};
const roundedBox = (x0, y0, x1, y1, r) => (x, y) => {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - r);
  const qy = Math.abs(y - cy) - ((y1 - y0) / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
/** A convex polygon, points clockwise on screen (y down). */
const polygon = (points) => (x, y) => {
  let d = -Infinity;
  for (let i = 0; i < points.length; i++) {
    const [ax, ay] = points[i];
    const [bx, by] = points[(i + 1) % points.length];
    const len = Math.hypot(bx - ax, by - ay);
    d = Math.max(d, ((x - ax) * (by - ay) - (y - ay) * (bx - ax)) / len);
  }
  return d;
};
const union = (...shapes) => (x, y) => Math.min(...shapes.map((s) => s(x, y)));
const intersect = (a, b) => (x, y) => Math.max(a(x, y), b(x, y));
const below = (cy) => (_x, y) => cy - y;

/** Paints layers ({shape, rgb}) in order with `samples`² supersampling; returns RGBA bytes. */
function render(size, layers, samples) {
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const { shape, rgb } of layers) {
        let hits = 0;
        for (let sy = 0; sy < samples; sy++) {
          for (let sx = 0; sx < samples; sx++) {
            if (shape((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size) <= 0) hits++;
          }
        }
        const cover = hits / (samples * samples);
        if (cover === 0) continue;
        // "over" compositing in straight alpha
        const outA = cover + a * (1 - cover);
        r = (rgb[0] * cover + r * a * (1 - cover)) / outA;
        g = (rgb[1] * cover + g * a * (1 - cover)) / outA;
        b = (rgb[2] * cover + b * a * (1 - cover)) / outA;
        a = outA;
      }
      const i = (py * size + px) * 4;
      rgba[i] = Math.round(r);
      rgba[i + 1] = Math.round(g);
      rgba[i + 2] = Math.round(b);
      rgba[i + 3] = Math.round(a * 255);
    }
  }
  return rgba;
}

// ---- Tray icons: the berth ring, and inside it one glyph per state (shape, not only colour) ----

const RING = ring(0.5, 0.5, 0.4, 0.13);
const glyphs = {
  stopped: null, // the empty ring
  starting: intersect(circle(0.5, 0.5, 0.23), below(0.5)), // a lower half disc: filling up
  running: circle(0.5, 0.5, 0.23), // a full disc
  degraded: polygon([
    [0.5, 0.25],
    [0.74, 0.7],
    [0.26, 0.7],
  ]), // a warning triangle
  error: union(capsule(0.36, 0.36, 0.64, 0.64, 0.065), capsule(0.64, 0.36, 0.36, 0.64, 0.065)), // a cross
};
const colours = {
  stopped: [128, 134, 143],
  starting: [59, 130, 246],
  running: [34, 170, 85],
  degraded: [234, 150, 10],
  error: [230, 55, 55],
};

function trayLayers(state, rgb) {
  const glyph = glyphs[state];
  return [{ shape: RING, rgb }, ...(glyph ? [{ shape: glyph, rgb }] : [])];
}

// ---- App icon: a quay with a ship carrying containers, on a rounded square ----

function appLayers() {
  const navy = [22, 52, 92];
  const white = [240, 244, 248];
  return [
    { shape: roundedBox(0.04, 0.04, 0.96, 0.96, 0.2), rgb: navy },
    { shape: polygon([[0.16, 0.6], [0.84, 0.6], [0.74, 0.78], [0.26, 0.78]]), rgb: white },
    { shape: roundedBox(0.24, 0.44, 0.4, 0.58, 0.015), rgb: [56, 189, 190] },
    { shape: roundedBox(0.42, 0.44, 0.58, 0.58, 0.015), rgb: [247, 160, 60] },
    { shape: roundedBox(0.6, 0.44, 0.76, 0.58, 0.015), rgb: [56, 189, 190] },
    { shape: roundedBox(0.33, 0.3, 0.49, 0.42, 0.015), rgb: [247, 160, 60] },
    { shape: roundedBox(0.51, 0.3, 0.67, 0.42, 0.015), rgb: [120, 200, 120] },
    { shape: roundedBox(0.14, 0.82, 0.86, 0.86, 0.02), rgb: [120, 170, 220] },
  ];
}

// ---- What is written ----

/** [relative path, width, RGBA] for every file; names as electron/main/trayIcons.ts expects them. */
function files() {
  const out = [];
  for (const state of Object.keys(glyphs)) {
    for (const [suffix, size] of [['', 16], ['@2x', 32]]) {
      out.push([`icons/tray-${state}${suffix}.png`, size, render(size, trayLayers(state, colours[state]), 8)]);
      // macOS template images: black plus alpha; the menu bar tints them for light and dark.
      out.push([`icons/tray-${state}Template${suffix}.png`, size, render(size, trayLayers(state, [0, 0, 0]), 8)]);
    }
  }
  out.push(['icon.png', 512, render(512, appLayers(), 2)]);
  return out;
}

const check = process.argv.includes('--check');
const stale = [];
mkdirSync(iconsDir, { recursive: true });
for (const [rel, size, rgba] of files()) {
  const path = join(root, 'build', rel);
  if (check) {
    let same;
    try {
      same = idatOf(readFileSync(path)).equals(scanlines(size, size, rgba));
    } catch {
      same = false; // missing or not a PNG this script wrote
    }
    if (!same) stale.push(rel);
  } else {
    writeFileSync(path, encodePng(size, size, rgba));
  }
}
if (check && stale.length > 0) {
  console.error(`make-icons: these icons are missing or differ from scripts/make-icons.mjs: ${stale.join(', ')}\nRun \`node scripts/make-icons.mjs\` and commit build/icons/ and build/icon.png.`);
  process.exit(1);
}
console.log(check ? 'make-icons: build/icons and build/icon.png are up to date' : 'make-icons: wrote build/icons/*.png and build/icon.png');
