// Owns: tests of /v1/terminal end to end on a real ControlServer with real host ptys and a `ws` client —
// spec and message validation, ready/exit/error, the cap, early input, closing, and output backpressure.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TERMINAL_PATH, TERMINAL_PROTOCOL, terminalServerMessageSchema, type TerminalServerMessage } from '../../api/terminal.ts';
import { ControlServer, type ControlHandlers } from '../control/controlServer.ts';
import { hostShellEnv } from './hostShellPlan.ts';
import { HostShellSession } from './hostShellSession.ts';
import { HIGH_WATER, parseClientMessage, parseTerminalSpec, serveTerminal, type OpenSession } from './terminalConnection.ts';
import { TerminalRegistry } from './terminalRegistry.ts';
import { TerminalFailure } from './terminalSession.ts';

const q = (spec: unknown): URLSearchParams => new URLSearchParams({ spec: typeof spec === 'string' ? spec : JSON.stringify(spec) });

function failureOf(f: () => unknown): TerminalFailure {
  try {
    f();
  } catch (e) {
    if (e instanceof TerminalFailure) return e;
    throw e;
  }
  throw new Error('expected a TerminalFailure');
}

describe('parseTerminalSpec', () => {
  it('takes each kind and fills in the default size', () => {
    expect(parseTerminalSpec(q({ kind: 'vm' }))).toEqual({ kind: 'vm', cols: 80, rows: 24 });
    expect(parseTerminalSpec(q({ kind: 'host', cols: 120, rows: 40 }))).toEqual({ kind: 'host', cols: 120, rows: 40 });
    expect(parseTerminalSpec(q({ kind: 'container', id: 'web-1', argv: ['/bin/sh'] }))).toEqual({ kind: 'container', id: 'web-1', argv: ['/bin/sh'], cols: 80, rows: 24 });
  });

  it.each([
    ['no spec', new URLSearchParams(), 'has no spec'],
    ['not JSON', q('{kind:vm'), 'not JSON'],
    ['an unknown kind', q({ kind: 'ssh' }), 'kind'],
    ['a container id with a slash', q({ kind: 'container', id: '../etc' }), 'id'],
    ['an unknown field', q({ kind: 'host', shell: '/bin/zsh' }), 'shell'],
    ['an empty argv', q({ kind: 'container', id: 'web', argv: [] }), 'argv'],
    ['a size out of range', q({ kind: 'vm', cols: 0 }), 'cols'],
  ])('refuses %s with bad-spec and a hint', (_what, query, says) => {
    const f = failureOf(() => parseTerminalSpec(query));
    expect(f.code).toBe('bad-spec');
    expect(f.message).toContain(says);
    expect(f.hint).toContain('/v1/terminal?spec=');
  });
});

describe('parseClientMessage', () => {
  it('takes resize and the four signals', () => {
    expect(parseClientMessage('{"type":"resize","cols":100,"rows":30}')).toEqual({ type: 'resize', cols: 100, rows: 30 });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL']) expect(parseClientMessage(JSON.stringify({ type: 'signal', signal }))).toEqual({ type: 'signal', signal });
  });

  it.each(['not json', '{"type":"paste","text":"x"}', '{"type":"signal","signal":"SIGSTOP"}', '{"type":"resize","cols":5000,"rows":1}'])('refuses %s with bad-message', (text) => {
    expect(failureOf(() => parseClientMessage(text)).code).toBe('bad-message');
  });
});

let dir: string;
let n = 0;
const servers: ControlServer[] = [];
const clients: WebSocket[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-term-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sessions the tests opened, to see their processes and their pause/resume calls. */
type Opened = { session: HostShellSession; pauses: number; resumes: number };

/** A control server whose /v1/terminal runs `/bin/sh -c <script>` on a real pty for every spec. */
async function serve(script: () => string, over: { max?: number; open?: OpenSession } = {}): Promise<{ sock: string; registry: TerminalRegistry; opened: Opened[] }> {
  const sock = join(dir, `t${n++}.sock`);
  const registry = new TerminalRegistry(over.max);
  const opened: Opened[] = [];
  const open: OpenSession = async (spec) => {
    const session = new HostShellSession({ file: '/bin/sh', args: ['-c', script()], cwd: '/tmp', env: hostShellEnv(process.env, '/tmp/none.sock'), title: 'sh on this machine', cols: spec.cols, rows: spec.rows });
    const o: Opened = { session, pauses: 0, resumes: 0 };
    opened.push(o);
    const { pause, resume } = session;
    session.pause = () => (o.pauses++, pause.call(session));
    session.resume = () => (o.resumes++, resume.call(session));
    return session;
  };
  const server = new ControlServer(sock, {} as ControlHandlers, () => []);
  server.serveWebSocket(TERMINAL_PATH, TERMINAL_PROTOCOL, (ws, query) => serveTerminal(ws, query, { registry, open: over.open ?? open, log: () => undefined }));
  await server.listen();
  servers.push(server);
  return { sock, registry, opened };
}

type Client = { ws: WebSocket; messages: TerminalServerMessage[]; output: () => Buffer; closed: Promise<number>; message: (type: TerminalServerMessage['type']) => Promise<TerminalServerMessage> };

function connect(sock: string, query: string): Client {
  const ws = new WebSocket(`ws+unix://${sock}:${TERMINAL_PATH}?${query}`, [TERMINAL_PROTOCOL]);
  clients.push(ws);
  const messages: TerminalServerMessage[] = [];
  const chunks: Buffer[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) chunks.push(data);
    else messages.push(terminalServerMessageSchema.parse(JSON.parse(data.toString('utf8'))));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const message = (type: TerminalServerMessage['type']): Promise<TerminalServerMessage> =>
    new Promise((resolve, reject) => {
      const look = (): void => {
        const m = messages.find((x) => x.type === type);
        if (m) resolve(m);
        else if (ws.readyState === WebSocket.CLOSED) reject(new Error(`closed without ${type}; got ${JSON.stringify(messages)}`));
        else waiters.push(look);
      };
      ws.once('close', look);
      look();
    });
  return { ws, messages, output: () => Buffer.concat(chunks), closed, message };
}

const spec = (s: unknown): string => `spec=${encodeURIComponent(JSON.stringify(s))}`;

function gone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('/v1/terminal over a real ControlServer', () => {
  it('sends ready with the title, the bytes as binary frames, then exit with the code, and closes', async () => {
    const { sock } = await serve(() => 'echo hi; exit 3');
    const c = connect(sock, spec({ kind: 'host' }));
    expect(await c.message('ready')).toEqual({ type: 'ready', title: 'sh on this machine' });
    expect(await c.message('exit')).toEqual({ type: 'exit', code: 3 });
    expect(await c.closed).toBe(1000);
    expect(c.output().toString('utf8')).toContain('hi');
  });

  it('accepts a bad spec, then sends error bad-spec and closes (so any client can show it)', async () => {
    const { sock, opened } = await serve(() => 'exit 0');
    const c = connect(sock, spec({ kind: 'container', id: '../../etc' }));
    const m = await c.message('error');
    expect(m).toMatchObject({ type: 'error', code: 'bad-spec', message: expect.stringContaining('id') });
    await c.closed;
    expect(opened).toHaveLength(0);
  });

  it('over the cap: error too-many-terminals, while the open one keeps running', async () => {
    const { sock, registry } = await serve(() => 'read x; exit 0', { max: 1 });
    const first = connect(sock, spec({ kind: 'host' }));
    await first.message('ready');
    const second = connect(sock, spec({ kind: 'host' }));
    expect(await second.message('error')).toMatchObject({ code: 'too-many-terminals' });
    expect(registry.size).toBe(1);
    first.ws.send(Buffer.from('\r'));
    expect(await first.message('exit')).toEqual({ type: 'exit', code: 0 });
    await until('the registry to empty', () => registry.size === 0);
  });

  it('holds input and a resize sent before the session runs, and applies them in order', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: OpenSession = async (s) => {
      await gate;
      return new HostShellSession({ file: '/bin/sh', args: ['-c', 'read line; stty size; echo "line=$line"; exit 0'], cwd: '/tmp', env: hostShellEnv(process.env, '/x'), title: 'slow', cols: s.cols, rows: s.rows });
    };
    const slowServer = await serve(() => '', { open: slow });
    const c = connect(slowServer.sock, spec({ kind: 'host' }));
    await new Promise<void>((r) => c.ws.once('open', () => r()));
    c.ws.send(JSON.stringify({ type: 'resize', cols: 99, rows: 33 }));
    c.ws.send(Buffer.from('early\r'));
    await new Promise((r) => setTimeout(r, 100));
    release();
    expect(await c.message('exit')).toEqual({ type: 'exit', code: 0 });
    const out = c.output().toString('utf8');
    expect(out).toMatch(/^33 99\r?$/m);
    expect(out).toContain('line=early');
  });

  it('a session that cannot open gives its error', async () => {
    const { sock } = await serve(() => '', { open: async () => Promise.reject(new TerminalFailure('no-such-container', 'there is no container "db"', 'check the name')) });
    const c = connect(sock, spec({ kind: 'container', id: 'db' }));
    expect(await c.message('error')).toEqual({ type: 'error', code: 'no-such-container', message: 'there is no container "db"', hint: 'check the name' });
  });

  it('a text frame that is not a control message ends the terminal with bad-message and its process', async () => {
    const { sock, opened } = await serve(() => 'exec /bin/sleep 100');
    const c = connect(sock, spec({ kind: 'host' }));
    await c.message('ready');
    c.ws.send('{"type":"paste"}');
    expect(await c.message('error')).toMatchObject({ code: 'bad-message' });
    const pid = (opened[0] as Opened).session.pid;
    await until('the shell to be gone', () => gone(pid));
  });

  it('T-41: the client going away ends the session and its process, and frees the slot', async () => {
    const { sock, opened, registry } = await serve(() => 'exec /bin/sleep 100');
    const c = connect(sock, spec({ kind: 'host' }));
    await c.message('ready');
    const pid = (opened[0] as Opened).session.pid;
    c.ws.terminate();
    await until('the shell to be gone', () => gone(pid));
    await until('the registry to empty', () => registry.size === 0);
  });

  it('closeAll (berthd stopping) sends error berthd-stopping, closes with 1001 and ends the process', async () => {
    const { sock, opened, registry } = await serve(() => 'exec /bin/sleep 100');
    const c = connect(sock, spec({ kind: 'host' }));
    await c.message('ready');
    const pid = (opened[0] as Opened).session.pid;
    await registry.closeAll(new TerminalFailure('berthd-stopping', 'Berth is shutting down', 'start Berth again'));
    expect(await c.message('error')).toMatchObject({ code: 'berthd-stopping' });
    expect(await c.closed).toBe(1001);
    expect(gone(pid)).toBe(true);
  });

  it('pauses the pty while the client does not read, and loses no byte (backpressure)', async () => {
    const total = 24 * 1024 * 1024;
    // The shell waits for a line after its output: node-pty itself can drop the last bytes of a process
    // that exits at once (seen without any pause), which is not what this test is about.
    const { sock, opened } = await serve(() => `stty raw -echo; /usr/bin/head -c ${total} /dev/zero; read line; exit 0`);
    const c = connect(sock, spec({ kind: 'host' }));
    await c.message('ready');
    c.ws.pause();
    await until('the session to be paused', () => (opened[0]?.pauses ?? 0) > 0);
    expect(HIGH_WATER).toBeLessThan(total);
    c.ws.resume();
    await until('all the output', () => c.output().length >= total, 60_000);
    c.ws.send(Buffer.from('\n'));
    expect(await c.message('exit')).toEqual({ type: 'exit', code: 0 });
    expect(c.output().length).toBe(total);
    expect(opened[0]?.resumes).toBeGreaterThan(0);
  });
});
