// Owns: joining a host connection to a guest-link stream byte for byte, half-close included (T-10):
// one side's end becomes the other's CLOSE_WRITE, an error or close on either side ends both.
import type { Duplex } from 'node:stream';

/** Tie the two lifetimes: a close or an error on either side ends the other (the guest's error is logged). */
export function bindLifetimes(client: Duplex, stream: Duplex, log: (m: string) => void, what: string): void {
  client.on('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  stream.on('close', () => {
    if (!client.destroyed) client.end();
  });
  client.on('error', () => stream.destroy());
  stream.on('error', (e) => {
    log(`${what} stream ended with an error: ${e.message}`);
    client.destroy();
  });
}

export function spliceStreams(client: Duplex, stream: Duplex, log: (m: string) => void, what: string): void {
  bindLifetimes(client, stream, log, what);
  // pipe() ends the other side when one side ends: a client's half-close becomes CLOSE_WRITE.
  client.pipe(stream);
  stream.pipe(client);
}
