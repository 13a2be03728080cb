// Owns: the terminal sessions' contract — what a client asks to open (VM shell, container exec, host
// shell) and the control messages on the WebSocket `/v1/terminal` (binary frames carry the bytes).
import { z } from 'zod';
import { containerRefSchema } from './docker.ts';

export const TERMINAL_PATH = '/v1/terminal';
/** The WebSocket subprotocol berthd speaks on TERMINAL_PATH. */
export const TERMINAL_PROTOCOL = 'berth-terminal.v1';

const size = { cols: z.number().int().min(1).max(1000).default(80), rows: z.number().int().min(1).max(1000).default(24) };

/**
 * Sent as the query of the WebSocket URL: `/v1/terminal?spec=<JSON>`.
 * vm: a login shell in the VM; container: `docker exec -it` (argv defaults to /bin/sh);
 * host: the user's shell on this machine with DOCKER_HOST pointed at Berth.
 */
export const terminalSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('vm'), ...size }).strict(),
  z.object({ kind: z.literal('container'), id: containerRefSchema, argv: z.array(z.string().max(4096)).min(1).max(64).optional(), ...size }).strict(),
  z.object({ kind: z.literal('host'), ...size }).strict(),
]);
export type TerminalSpec = z.input<typeof terminalSpecSchema>;

/** Text frames from the client. Binary frames from the client are keyboard input. */
export const terminalClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resize'), cols: size.cols, rows: size.rows }),
  /** Ctrl-C reaches the process as a byte on a tty; this is for an explicit signal. */
  z.object({ type: z.literal('signal'), signal: z.enum(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL']) }),
]);
export type TerminalClientMessage = z.infer<typeof terminalClientMessageSchema>;

/** Text frames from berthd. Binary frames from berthd are terminal output. */
export const terminalServerMessageSchema = z.discriminatedUnion('type', [
  /** The session runs; title says what it is ("VM shell", "web-1: /bin/sh", "bash on this machine"). */
  z.object({ type: z.literal('ready'), title: z.string() }),
  /** The process ended; berthd closes the socket after this. */
  z.object({ type: z.literal('exit'), code: z.number().int(), signal: z.string().optional() }),
  /** The session could not start or broke: what happened and what to do. */
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), hint: z.string() }),
]);
export type TerminalServerMessage = z.infer<typeof terminalServerMessageSchema>;
