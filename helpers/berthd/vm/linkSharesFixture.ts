// Test fixture for the LinkShares suites: the real berth-ninep-server built for this host, and a host
// and guest session joined by a unix socket, the guest standing in for berth-agent's share.mount.
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { LinkSession } from '../guest/linkSession.ts';
import type { LinkStream } from '../guest/linkStream.ts';
import { buildGoForTest } from '../host/goTestBuild.ts';

/** Build berth-ninep-server (helpers/ninep-server) into `dir`; returns its path. */
export function buildNinepServerIn(dir: string): string {
  return buildGoForTest('helpers/ninep-server', join(dir, 'berth-ninep-server'));
}

export type ShareMountCall = { id: number; method: string; params: { tag: string } };

/**
 * A host and a guest session joined by a unix socket under `dir`. The guest parks each ninep:<tag>
 * stream and answers share.mount with `mount` (an error message, or undefined for success).
 */
export async function linkedSessions(
  dir: string,
  mount: (tag: string, stream: LinkStream) => Promise<string | undefined>,
): Promise<{ host: LinkSession; guest: LinkSession; calls: ShareMountCall[]; parked: Map<string, LinkStream> }> {
  const sock = join(dir, `link-${Math.random().toString(16).slice(2)}.sock`);
  const calls: ShareMountCall[] = [];
  const parked = new Map<string, LinkStream>();
  const accepted = new Promise<Socket>((resolve) => {
    const srv = createServer((c) => (srv.close(), resolve(c)));
    srv.listen(sock);
  });
  const host = new LinkSession(connect(sock));
  const guest = new LinkSession(await accepted, { role: 'guest', agent: 'test' });
  guest.on('stream', (st) => {
    st.on('error', () => {}); // the host ends them with RESET; the host side's handling is under test
    if (st.target.startsWith('ninep:')) return void parked.set(st.target.slice('ninep:'.length), st);
    let buf = '';
    st.on('data', (d: Buffer) => {
      buf += String(d);
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const req = JSON.parse(buf.slice(0, i)) as ShareMountCall;
        buf = buf.slice(i + 1);
        calls.push(req);
        void (async () => {
          const stream = parked.get(req.params.tag);
          const err = stream ? await mount(req.params.tag, stream) : `no ninep:${req.params.tag} stream is open`;
          st.write(`${JSON.stringify(err ? { id: req.id, error: { code: 'failed', message: err } } : { id: req.id, result: {} })}\n`);
        })();
      }
    });
  });
  host.start();
  guest.start();
  return { host, guest, calls, parked };
}

/** The guest kernel's side: Tversion out, Rversion (type 101) back from the server. */
export function versionExchange(stream: LinkStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const v = Buffer.from('9P2000.L');
    const msg = Buffer.alloc(13 + v.length);
    msg.writeUInt32LE(msg.length, 0);
    msg[4] = 100;
    msg.writeUInt16LE(0xffff, 5);
    msg.writeUInt32LE(262144, 7);
    msg.writeUInt16LE(v.length, 11);
    v.copy(msg, 13);
    stream.once('data', (d: Buffer) => resolve(d[4] === 101 ? undefined : `got message type ${d[4]}`));
    stream.write(msg);
  });
}
