import { createHash } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { createSeededRandom } from '../../src/impaired/prng.ts';
import type { ReliableConnectionLimits } from '../../src/reliable/connection.ts';
import { listenReliableUdp, type ReliableUdpServerOptions } from '../../src/reliable/server.ts';
import {
  connectReliableUdp,
  type ReliableUdpConnection,
  type ReliableUdpConnectOptions,
} from '../../src/reliable/socket.ts';

/**
 * Loopback RTTs are far below a millisecond, so RFC 6298's 1 s minimum RTO would make every loss
 * cost a second: tests use a 20 ms floor and a 200 ms start.
 */
export const LOOPBACK_LIMITS: ReliableConnectionLimits = {
  rto: { minRtoMs: 20, initialRtoMs: 200 },
  lingerMs: 100,
  maxRetransmits: 40,
};

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export const seededBytes = (seed: number, size: number): Buffer =>
  Buffer.from(createSeededRandom(seed).fill(new Uint8Array(size)));

/** Reads a connection to its end. */
export async function readAll(connection: ReliableUdpConnection): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of connection) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Writes `data` in pieces of `piece` bytes, awaiting each (backpressure). */
export async function writeAll(
  connection: ReliableUdpConnection,
  data: Uint8Array,
  piece = 16_384,
) {
  for (let offset = 0; offset < data.length; offset += piece) {
    await connection.write(data.subarray(offset, offset + piece));
  }
}

/**
 * A server where every connection sends back `reply(received)` after the client ends, and ends
 * too. Resolves `received` with what each connection got.
 */
export async function startReliableServer(
  options: ReliableUdpServerOptions = {},
  reply: (received: Buffer) => Uint8Array = () => new Uint8Array(0),
) {
  const received: Promise<Buffer>[] = [];
  const server = await listenReliableUdp({ ...LOOPBACK_LIMITS, ...options }, (connection) => {
    onTestFinished(() => connection.close());
    const done = (async () => {
      const data = await readAll(connection);
      await writeAll(connection, reply(data));
      await connection.end();
      return data;
    })();
    done.catch(() => {});
    received.push(done);
  });
  onTestFinished(() => server.close());
  return { server, received };
}

export async function connectTo(port: number, options: Partial<ReliableUdpConnectOptions> = {}) {
  const connection = await connectReliableUdp({
    ...LOOPBACK_LIMITS,
    host: '127.0.0.1',
    port,
    ...options,
  });
  onTestFinished(() => connection.close());
  return connection;
}
