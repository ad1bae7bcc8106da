// biome-ignore-all lint/correctness/noUnusedImports: starter stubs; your code will use them
// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import type { NatsConnection } from '@nats-io/transport-node';
import type { Server } from 'socket.io';

/** The largest NATS payload relayed, in bytes (checked before decoding). */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

/** The deepest nesting of arrays and objects relayed (the top value is level 1). */
export const MAX_DEPTH = 16;

/** What a room's clients receive as a `nats:message` event: exactly these two fields. */
export interface RelayedMessage {
  /** The NATS subject the message came on, e.g. `shop.rooms.lobby`. */
  subject: string;
  /** The payload, decoded from JSON and checked. */
  data: unknown;
}

/** What the bridge publishes on `<prefix>.from-clients.<room>` for a client's `publish`. */
export interface ClientMessage {
  /** The publishing socket's id, set by the bridge. */
  from: string;
  data: unknown;
}

/** The acknowledgement of a client's `publish`. */
export type PublishAck = { ok: true } | { ok: false; error: 'INVALID' | 'NOT_MEMBER' };

/** Options of {@link startNatsBridge}. */
export interface NatsBridgeOptions {
  /** A connected NATS client (the spec drains it). */
  nc: NatsConnection;
  /** A Socket.IO server; its clients are already put in rooms by someone else. */
  io: Server;
  /** The first token of every subject the bridge uses, e.g. `shop`. */
  prefix: string;
}

/** What startNatsBridge resolves with. */
export interface RunningNatsBridge {
  /** How many NATS messages were dropped as malformed so far. */
  dropped(): number;
  /** Unsubscribes and stops handling `publish`; resolves once NATS has seen the unsubscribe. */
  close(): Promise<void>;
}

/**
 * Bridges NATS and Socket.IO (exercises/02-nats-bridge/README.md, "The contract"): a message on
 * `<prefix>.rooms.<room>` reaches the clients in Socket.IO room `<room>` as `nats:message`
 * `{ subject, data }`, once checked; a client's `publish` `{ room, data }` goes out on
 * `<prefix>.from-clients.<room>` as `{ from, data }`.
 * @example const bridge = await startNatsBridge({ nc, io, prefix: 'shop' });
 */
export async function startNatsBridge(options: NatsBridgeOptions): Promise<RunningNatsBridge> {
  // TODO: subscribe to `${prefix}.rooms.*` (one token after `rooms`); for each message: check its
  //       size, decode it as UTF-8 JSON, check its depth; a bad one is counted and dropped.
  // TODO: emit a NEW object { subject, data } as 'nats:message' to the room named by the last token.
  // TODO: on every connection, handle 'publish' ({ room, data }, ack): a member of a valid room with
  //       a checked payload → nc.publish(`${prefix}.from-clients.${room}`, JSON { from, data }).
  // TODO: await nc.flush() before resolving, so the subscription is live on the server.
  throw new Error('not implemented yet: read exercises/02-nats-bridge/README.md');
}
