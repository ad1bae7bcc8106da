import type { Subscription } from '@nats-io/transport-node';
import { checkPayload } from '@socketlab/websockets/realtime';
import type { Socket } from 'socket.io';
import {
  type ClientMessage,
  MAX_DEPTH,
  MAX_PAYLOAD_BYTES,
  type NatsBridgeOptions,
  type PublishAck,
  type RelayedMessage,
  type RunningNatsBridge,
} from '../../exercises/02-nats-bridge/exercise.ts';
import { decodeBrokerJson } from '../../src/nats/index.ts';

export type { ClientMessage, NatsBridgeOptions, PublishAck, RelayedMessage, RunningNatsBridge };
export { MAX_DEPTH, MAX_PAYLOAD_BYTES };

const ROOM = /^[A-Za-z0-9_-]{1,32}$/;
const limits = { maxBytes: MAX_PAYLOAD_BYTES, maxDepth: MAX_DEPTH };

/**
 * The bridge with the library's bounded decode (`decodeBrokerJson`: size, strict UTF-8, JSON,
 * depth) one way, and stage 4's `checkPayload` the other; a new object emitted or published
 * every time, never a payload as it came.
 */
export async function startNatsBridge({
  nc,
  io,
  prefix,
}: NatsBridgeOptions): Promise<RunningNatsBridge> {
  let dropped = 0;
  const sub: Subscription = nc.subscribe(`${prefix}.rooms.*`, {
    callback: (err, msg) => {
      if (err) return;
      let data: unknown;
      try {
        data = decodeBrokerJson(msg.data, limits);
      } catch {
        dropped++;
        return;
      }
      const room = msg.subject.split('.').at(-1) as string;
      const relayed: RelayedMessage = { subject: msg.subject, data };
      io.to(room).emit('nats:message', relayed);
    },
  });

  const publish = (socket: Socket, request: unknown): PublishAck => {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return { ok: false, error: 'INVALID' };
    }
    const { room, data } = request as { room?: unknown; data?: unknown };
    if (typeof room !== 'string' || !ROOM.test(room) || data === undefined) {
      return { ok: false, error: 'INVALID' };
    }
    try {
      checkPayload(data, limits);
    } catch {
      return { ok: false, error: 'INVALID' };
    }
    if (!socket.rooms.has(room)) return { ok: false, error: 'NOT_MEMBER' };
    const message: ClientMessage = { from: socket.id, data };
    nc.publish(`${prefix}.from-clients.${room}`, JSON.stringify(message));
    return { ok: true };
  };
  const onConnection = (socket: Socket): void => {
    socket.on('publish', (...args: unknown[]) => {
      if (closed) return;
      const ack =
        typeof args.at(-1) === 'function' ? (args.pop() as (a: PublishAck) => void) : null;
      const answer = publish(socket, args[0]);
      ack?.(answer);
    });
  };
  let closed = false;
  io.on('connection', onConnection);

  await nc.flush();
  return {
    dropped: () => dropped,
    async close() {
      closed = true;
      io.off('connection', onConnection);
      sub.unsubscribe();
      await nc.flush();
    },
  };
}
