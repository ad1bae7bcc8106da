/**
 * The write-write-read pattern that Nagle's algorithm and delayed ACKs punish: a request sent as
 * two small writes (a header, then a body), the reply awaited. With Nagle on, the second write
 * waits for the ACK of the first, and the server delays that ACK (~40 ms on Linux) because it has
 * nothing to send until the whole request is in. Shared by the test and the bench.
 */
import { once } from 'node:events';
import net from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { applySocketOptions } from '../../src/index.ts';

const HALF = 10;

/** A server that answers one byte for every two halves (20 bytes) received; Nagle off on its side. */
export async function listenHalvesServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    applySocketOptions(socket, { noDelay: true });
    let pending = 0;
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.length;
      while (pending >= 2 * HALF) {
        pending -= 2 * HALF;
        socket.write('r');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await withTimeout(once(server, 'listening'), 'the halves server to listen');
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Runs `rounds` write-write-read round trips on a new connection with `noDelay` as given and
 * returns each one's latency in milliseconds, sorted. Every wait is bounded by `waitMs`.
 */
export async function writeWriteReadLatencies(
  port: number,
  noDelay: boolean,
  rounds: number,
  waitMs = 5_000,
): Promise<number[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  try {
    await withTimeout(once(socket, 'connect'), 'the client to connect', waitMs);
    applySocketOptions(socket, { noDelay });
    const header = Buffer.alloc(HALF, 0x68);
    const body = Buffer.alloc(HALF, 0x62);
    const latencies: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const reply = once(socket, 'data');
      const started = performance.now();
      socket.write(header);
      // Let the header leave as a segment of its own before the body is written.
      await new Promise((resolve) => setImmediate(resolve));
      socket.write(body);
      await withTimeout(reply, `reply ${i + 1} of ${rounds}`, waitMs);
      latencies.push(performance.now() - started);
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    socket.destroy();
  }
}

/** The median of sorted numbers. */
export const median = (sorted: readonly number[]): number =>
  sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
