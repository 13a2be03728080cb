// Owns: loading the shared guest-link codec vectors (test/fixtures/guest-link-vectors.json) for the
// TypeScript tests, with hex turned into Buffers and frame type names checked.
import { readFileSync } from 'node:fs';
import { FRAME_CODES, type Frame, type FrameType } from './frameCodec.ts';

export type ValidVector = { name: string; bytes: Buffer; frames: Frame[] };
export type InvalidVector = { name: string; bytes: Buffer; error: string };
export type TruncatedVector = { name: string; bytes: Buffer };
export type LinkVectors = { maxPayload: number; valid: ValidVector[]; invalid: InvalidVector[]; truncated: TruncatedVector[] };

type RawFrame = { type: string; stream: number; payload: string };
type Raw = {
  maxPayload: number;
  valid: { name: string; hex: string; frames: RawFrame[] }[];
  invalid: { name: string; hex: string; error: string }[];
  truncated: { name: string; hex: string }[];
};

export const VECTORS_URL = new URL('../../../test/fixtures/guest-link-vectors.json', import.meta.url);

export function loadLinkVectors(): LinkVectors {
  const raw = JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as Raw;
  const frame = (f: RawFrame): Frame => {
    if (!(f.type in FRAME_CODES)) throw new Error(`vector frame type ${f.type} is not a frame type`);
    return { type: f.type as FrameType, stream: f.stream, payload: Buffer.from(f.payload, 'hex') };
  };
  return {
    maxPayload: raw.maxPayload,
    valid: raw.valid.map((v) => ({ name: v.name, bytes: Buffer.from(v.hex, 'hex'), frames: v.frames.map(frame) })),
    invalid: raw.invalid.map((v) => ({ name: v.name, bytes: Buffer.from(v.hex, 'hex'), error: v.error })),
    truncated: raw.truncated.map((v) => ({ name: v.name, bytes: Buffer.from(v.hex, 'hex') })),
  };
}
