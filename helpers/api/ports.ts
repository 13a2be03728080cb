// Owns: the shape of published container ports as Berth forwards them to the host (GET /v1/ports and
// the `ports` event). zod only: berthd, the CLI and the UI share it.
import { z } from 'zod';

export const portForwardStates = ['forwarding', 'conflict', 'error', 'not-forwarded'] as const;
export const portForwardStateSchema = z.enum(portForwardStates);
export type PortForwardState = z.infer<typeof portForwardStateSchema>;

/** One published container port and its listener on the host. */
export const portForwardSchema = z.object({
  containerId: z.string(),
  /** The container's name without Docker's leading slash. */
  containerName: z.string(),
  /** The port inside the container (Docker's PrivatePort). */
  containerPort: z.number().int(),
  protocol: z.enum(['tcp', 'udp']),
  /** The publish's HostIp as Docker reports it in the VM (0.0.0.0, ::, 127.0.0.1 …). */
  guestHostIp: z.string(),
  /** Where Berth listens (or would listen) on the host. */
  hostAddress: z.string(),
  hostPort: z.number().int().min(1).max(65535),
  /**
   * forwarding: the host listener answers; conflict: another program holds the host port (retried);
   * error: the listener could not be opened (see message); not-forwarded: Berth does not forward this publish (see message).
   */
  state: portForwardStateSchema,
  /** For conflict: what holds the port when the OS tells (e.g. "held by nginx (pid 1234)"); for the others: why, and what to do. */
  message: z.string().optional(),
  /** Bytes from host clients to the container. */
  bytesIn: z.number(),
  /** Bytes from the container back to host clients. */
  bytesOut: z.number(),
  /** Host connections accepted since the listener opened. */
  connections: z.number().int(),
});
export type PortForward = z.infer<typeof portForwardSchema>;

export const portsResponseSchema = z.object({ forwards: z.array(portForwardSchema) });
export type PortsResponse = z.infer<typeof portsResponseSchema>;

/** The event berthd can publish on GET /v1/events when a forward's state changes. */
export const portsEventSchema = z.object({ type: z.literal('ports'), forwards: z.array(portForwardSchema) });
export type PortsEvent = z.infer<typeof portsEventSchema>;
