// Owns: tests of portHolder.ts — the /proc/net/tcp{,6} line parser on fixture lines, address matching,
// and, on Linux, naming this very test process as the holder of a port it listens on.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalAddress, describePortHolder, findListener, ipv6Groups, parseProcNetTcp, parseProcNetTcpLine, TCP_LISTEN } from './portHolder.ts';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const V4_LISTEN = '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0';
const V4_ANY = '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0';
const V4_ESTABLISHED = '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 3333 1 0000000000000000 20 4 30 10 -1';
const V6_LOOP = '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 100 0 0 10 0';
const V6_ANY = '   1: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0';
const V6_DOC = '   2: B80D0120000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6666 1 0000000000000000 100 0 0 10 0';
const V6_MAPPED = '   3: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7777 1 0000000000000000 100 0 0 10 0';

describe('parseProcNetTcpLine', () => {
  it('reads an IPv4 listener: little-endian address, hex port, state, uid and inode', () => {
    expect(parseProcNetTcpLine(V4_LISTEN)).toEqual({ address: '127.0.0.1', port: 8080, state: TCP_LISTEN, uid: 1000, inode: 123456 });
    expect(parseProcNetTcpLine(V4_ANY)).toMatchObject({ address: '0.0.0.0', port: 80, uid: 0, inode: 2222 });
    expect(parseProcNetTcpLine(V4_ESTABLISHED)).toMatchObject({ state: 1, inode: 3333 });
  });

  it('reads IPv6 addresses word by word', () => {
    expect(parseProcNetTcpLine(V6_LOOP)).toMatchObject({ address: canonicalAddress('::1'), port: 8080, inode: 4444 });
    expect(parseProcNetTcpLine(V6_ANY)).toMatchObject({ address: canonicalAddress('::'), port: 443 });
    expect(parseProcNetTcpLine(V6_DOC)).toMatchObject({ address: canonicalAddress('2001:db8::1'), port: 22 });
    expect(parseProcNetTcpLine(V6_MAPPED)).toMatchObject({ address: '127.0.0.1', port: 8081 });
  });

  it('skips the header, blank lines and junk', () => {
    for (const l of [HEADER, '', '   ', 'garbage', '   0: XYZ:1F90 00000000:0000 0A 0 0 0 0 0 1', '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 notanumber']) {
      expect(parseProcNetTcpLine(l)).toBeUndefined();
    }
    expect(parseProcNetTcp([HEADER, V4_LISTEN, V4_ANY, ''].join('\n'))).toHaveLength(2);
  });
});

describe('addresses', () => {
  it('expands IPv6 text, with :: and an IPv4 tail', () => {
    expect(ipv6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('2001:db8::ff00:42:8329')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]);
    expect(ipv6Groups('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    for (const bad of ['1::2::3', '1:2:3', '127.0.0.1', 'g::1', '1:2:3:4:5:6:7:8:9']) expect(ipv6Groups(bad)).toBeUndefined();
    expect(canonicalAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });

  it('prefers a listener on the very address, then a wildcard one, then any on the port', () => {
    const sockets = parseProcNetTcp([V4_LISTEN, V4_ESTABLISHED, V6_LOOP, V6_ANY, V4_ANY].join('\n'));
    expect(findListener(sockets, 8080, '127.0.0.1')?.inode).toBe(123456);
    expect(findListener(sockets, 8080, '::1')?.inode).toBe(4444);
    expect(findListener(sockets, 8080, '0.0.0.0')?.inode).toBe(123456);
    expect(findListener(sockets, 443, '127.0.0.1')?.inode).toBe(5555);
    expect(findListener(sockets, 80, '::1')?.inode).toBe(2222);
    expect(findListener(sockets, 9999, '127.0.0.1')).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('describePortHolder on this host', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise((r) => s.close(r));
  });

  it('names this test process as the holder of a port it listens on', async () => {
    const s = createServer();
    server = s;
    await new Promise<void>((r) => s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, r));
    const port = (s.address() as { port: number }).port;
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(describePortHolder(port, '127.0.0.1')).toBe(`held by ${comm} (pid ${process.pid})`);
    expect(describePortHolder(port, '0.0.0.0')).toBe(`held by ${comm} (pid ${process.pid})`);
  });

  it('says nothing for a port nobody listens on', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    expect(describePortHolder(port, '127.0.0.1')).toBeUndefined();
  });
});
