/**
 * Nagle's algorithm meets delayed ACKs: a request written as two small writes (a 10-byte header,
 * then a 10-byte body) and a 1-byte reply awaited, measured three ways on 127.0.0.1:
 *
 *   1. Nagle on (Node's default), two writes: the body waits for the header's ACK, which the
 *      server's kernel delays because the server has nothing to send yet;
 *   2. `noDelay: true` (TCP_NODELAY), two writes: the body leaves at once;
 *   3. Nagle on, but the two writes corked into one segment (`socket.cork()` / `uncork()`):
 *      nothing small is left waiting, so Nagle never holds anything back.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-nagle.ts [rounds]
 *
 * Used by lessons/socket-options.md.
 */
import { once } from 'node:events';
import net from 'node:net';
import { applySocketOptions } from '../src/index.ts';

const HALF = 10;
const rounds = Number(process.argv[2] ?? 20);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1_000) {
  throw new RangeError(`rounds must be an integer from 1 to 1000, got ${process.argv[2]}`);
}

// The server answers one byte per 20 bytes received; its own Nagle is off, so only the client's
// setting is measured.
const server = net.createServer((socket) => {
  applySocketOptions(socket, { noDelay: true });
  socket.on('error', () => {});
  let pending = 0;
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.length;
    for (; pending >= 2 * HALF; pending -= 2 * HALF) socket.write('r');
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as net.AddressInfo;

type Mode = 'nagle' | 'noDelay' | 'corked';

async function measure(mode: Mode): Promise<number[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  applySocketOptions(socket, { noDelay: mode === 'noDelay' });
  const header = Buffer.alloc(HALF, 0x68);
  const body = Buffer.alloc(HALF, 0x62);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const reply = once(socket, 'data', { signal: AbortSignal.timeout(5_000) });
      const started = performance.now();
      if (mode === 'corked') {
        socket.cork();
        socket.write(header);
        socket.write(body);
        socket.uncork(); // one writev: header and body leave as one segment
      } else {
        socket.write(header);
        // Let the header leave as a segment of its own before the body is written.
        await new Promise((resolve) => setImmediate(resolve));
        socket.write(body);
      }
      await reply;
      latencies.push(performance.now() - started);
    }
  } finally {
    socket.destroy();
  }
  return latencies;
}

const at = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

console.log(`${rounds} write-write-read round trips per case, 127.0.0.1, Node ${process.version}`);
console.log(
  'case                          min ms   median ms   max ms   round trips/s   first 4 rounds, ms',
);
for (const [mode, label] of [
  ['nagle', 'Nagle on, two writes'],
  ['noDelay', 'noDelay, two writes'],
  ['corked', 'Nagle on, corked into one'],
] as const) {
  const latencies = await measure(mode);
  const first = latencies.slice(0, 4).map((ms) => ms.toFixed(2));
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = sorted.reduce((sum, ms) => sum + ms, 0);
  console.log(
    `${label.padEnd(28)}${at(sorted, 0).toFixed(3).padStart(8)}${at(sorted, 0.5).toFixed(3).padStart(12)}${at(sorted, 1).toFixed(3).padStart(9)}${((rounds * 1_000) / total).toFixed(0).padStart(16)}   ${first.join(' ')}`,
  );
}
server.close();
