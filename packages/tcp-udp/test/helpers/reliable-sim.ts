import { createSeededRandom } from '../../src/impaired/prng.ts';
import {
  ReliableConnection,
  type ReliableConnectionLimits,
} from '../../src/reliable/connection.ts';
import {
  decodeReliablePacket,
  encodeReliablePacket,
  type ReliablePacket,
} from '../../src/reliable/packet.ts';

/** A simulated datagram channel with fake time: loss, duplication and delay with jitter. */
export interface SimChannel {
  readonly loss: number;
  readonly duplicate: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  /** Datagrams larger than this (bytes, header included) vanish, as on a path with a small MTU. */
  readonly maxDatagramBytes?: number;
}

export interface SimResult {
  /** What each side read, concatenated. */
  readonly receivedByServer: Buffer;
  readonly receivedByClient: Buffer;
  readonly client: ReliableConnection;
  readonly server: ReliableConnection | undefined;
  readonly steps: number;
  readonly simulatedMs: number;
}

/**
 * Runs a client and a server {@link ReliableConnection} against each other through `channel`,
 * each sending its bytes and then ending, until both are closed or a bound is hit. Every packet
 * goes through the codec on the way. Pure: the same seed gives the same run.
 */
export function simulateReliablePair(options: {
  seed: number;
  channel: SimChannel;
  clientBytes: Uint8Array;
  serverBytes: Uint8Array;
  limits?: ReliableConnectionLimits;
  maxSteps?: number;
  maxSimulatedMs?: number;
}): SimResult {
  const random = createSeededRandom(options.seed);
  const limits: ReliableConnectionLimits = {
    rto: { minRtoMs: 20, initialRtoMs: 100 },
    lingerMs: 200,
    idleTimeoutMs: 20_000,
    keepaliveMs: 1_000,
    ...options.limits,
  };
  const maxSteps = options.maxSteps ?? 200_000;
  const maxMs = options.maxSimulatedMs ?? 600_000;
  let now = 0;
  let order = 0;
  const queue: { at: number; order: number; to: 'client' | 'server'; bytes: Buffer }[] = [];
  const client = new ReliableConnection(
    { ...limits, role: 'client', connectionId: random.next(), isn: random.next() },
    now,
  );
  let server: ReliableConnection | undefined;
  const fromServer: Uint8Array[] = [];
  const fromClient: Uint8Array[] = [];
  const pending = { client: options.clientBytes, server: options.serverBytes };

  const transmit = (to: 'client' | 'server', packets: ReliablePacket[]): void => {
    for (const packet of packets) {
      const bytes = encodeReliablePacket(packet);
      if (bytes.length > (options.channel.maxDatagramBytes ?? Number.POSITIVE_INFINITY)) continue;
      if (random.chance(options.channel.loss)) continue;
      const copies = random.chance(options.channel.duplicate) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const at = now + options.channel.delayMs + random.float() * options.channel.jitterMs;
        queue.push({ at, order: order++, to, bytes });
      }
    }
  };
  const pump = (side: 'client' | 'server', connection: ReliableConnection): void => {
    const rest = pending[side];
    if (rest.length > 0) {
      const n = connection.write(rest);
      pending[side] = rest.subarray(n);
      if (pending[side].length === 0) connection.end();
    }
    (side === 'client' ? fromServer : fromClient).push(...connection.read());
    transmit(side === 'client' ? 'server' : 'client', connection.flush(now));
  };
  if (pending.client.length === 0) client.end();
  pump('client', client);

  let steps = 0;
  for (; steps < maxSteps && now <= maxMs; steps++) {
    if (client.state === 'closed' && (!server || server.state === 'closed')) break;
    queue.sort((a, b) => a.at - b.at || a.order - b.order);
    const times = [queue[0]?.at, client.nextDeadline, server?.nextDeadline].filter(
      (t): t is number => t !== undefined,
    );
    if (times.length === 0) break;
    now = Math.max(now, Math.min(...times));
    while (queue[0] && queue[0].at <= now) {
      const item = queue.shift();
      if (!item) break;
      const packet = decodeReliablePacket(item.bytes, { maxPayloadBytes: 65_535 });
      const target = item.to === 'client' ? client : server;
      if (target?.state === 'closed' && packet.type !== 'RST') {
        // what the socket layer does for a connection it closed: its final ACK (TIME-WAIT), or RST
        const rst = {
          ...packet,
          type: 'RST' as const,
          seq: packet.ack,
          flags: 0,
          sack: [],
          payload: new Uint8Array(0),
        };
        transmit(item.to === 'client' ? 'server' : 'client', [target.finalAck() ?? rst]);
        continue;
      }
      if (item.to === 'client') {
        client.onPacket(packet, now);
        pump('client', client);
      } else {
        if (!server && packet.type === 'SYN') {
          server = ReliableConnection.accept(packet, { ...limits, isn: random.next() }, now);
          if (pending.server.length === 0) server.end();
        } else server?.onPacket(packet, now);
        if (server) pump('server', server);
      }
    }
    if ((client.nextDeadline ?? Number.POSITIVE_INFINITY) <= now) {
      client.onTimer(now);
      pump('client', client);
    }
    if (server && (server.nextDeadline ?? Number.POSITIVE_INFINITY) <= now) {
      server.onTimer(now);
      pump('server', server);
    }
  }
  return {
    receivedByServer: Buffer.concat(fromClient),
    receivedByClient: Buffer.concat(fromServer),
    client,
    server,
    steps,
    simulatedMs: now,
  };
}
