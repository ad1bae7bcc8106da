/**
 * A line echo server (stage 2's `listenFramedEchoServer`) that freezes its whole process for
 * STALL_MS every EVERY_MS, the way a long garbage-collection pause, a synchronous disk read or a
 * CPU-heavy request freezes a real server. Point `socketlab-mux load` at it to see what
 * coordinated omission hides: the uncorrected percentiles barely move, the corrected ones do.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-stalling-echo.ts [STALL_MS] [EVERY_MS] [PORT]
 *   pnpm start load 127.0.0.1:PORT --connections 1 --rate 1000 --duration 5
 *
 * Defaults: a 200 ms stall every 1,000 ms, port 0 (the kernel picks one; it is printed). Stop it
 * with Ctrl-C. Used by lessons/measuring.md.
 */
import type net from 'node:net';
import { listenFramedEchoServer } from '@socketlab/tcp-udp';

const [stallMs = 200, everyMs = 1_000, port = 0] = process.argv.slice(2).map(Number);
if (!(stallMs >= 0 && everyMs > stallMs && everyMs <= 60_000)) {
  throw new RangeError(
    `expected STALL_MS >= 0 and STALL_MS < EVERY_MS <= 60000, got ${stallMs} and ${everyMs}`,
  );
}
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  throw new RangeError(`PORT must be an integer from 0 to 65535, got ${port}`);
}

const server = await listenFramedEchoServer({ framing: 'line', port });
const address = server.address as net.AddressInfo;
console.log(`line echo on 127.0.0.1:${address.port}, frozen for ${stallMs} ms every ${everyMs} ms`);

// Atomics.wait blocks the thread without burning CPU: nothing is read, echoed or accepted meanwhile.
const frozen = new Int32Array(new SharedArrayBuffer(4));
const timer = setInterval(() => Atomics.wait(frozen, 0, 0, stallMs), everyMs);

process.once('SIGINT', () => {
  clearInterval(timer);
  void server.close().then(() => console.log('stopped'));
});
process.once('SIGTERM', () => process.emit('SIGINT'));
