/**
 * TCP keepalive as the kernel shows it: the kernel's defaults, the keepalive timer before and
 * after `applySocketOptions(socket, { keepAlive })`, and what this Node.js can and cannot set per
 * socket. Run it on Node 20 and on Node 24 and compare.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-keepalive.ts
 *   ss -tnoi state established '( dport = :PORT )'   # in another terminal: timer:(keepalive,…)
 *
 * Used by lessons/socket-options.md and lessons/connection-health.md.
 */
import { once } from 'node:events';
import net from 'node:net';
import {
  applySocketOptions,
  KEEPALIVE_TUNING_SUPPORTED,
  readKernelKeepalive,
  readSocketOptions,
} from '../src/index.ts';

const kernel = await readKernelKeepalive();
const seconds = (ms: number): string => `${ms / 1_000} s`;
console.log(`Node ${process.version}; KEEPALIVE_TUNING_SUPPORTED = ${KEEPALIVE_TUNING_SUPPORTED}`);
console.log(
  `kernel defaults: tcp_keepalive_time ${seconds(kernel.delayMs)}, tcp_keepalive_intvl ${seconds(kernel.intervalMs)}, tcp_keepalive_probes ${kernel.probes}`,
);
console.log(
  `  → with SO_KEEPALIVE alone, a dead idle peer is noticed after ${seconds(kernel.delayMs)} + ${kernel.probes} × ${seconds(kernel.intervalMs)} = ${(kernel.delayMs + kernel.probes * kernel.intervalMs) / 60_000} min`,
);

console.log(
  `  → Node's setKeepAlive(true, delay) sets its own TCP_KEEPINTVL (1 s) and TCP_KEEPCNT (10) too (libuv >= 1.35; see it with strace -e trace=setsockopt): delay + 10 s`,
);

const server = net.createServer((socket) => socket.on('error', () => {}));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as net.AddressInfo;
const socket = net.connect({ host: '127.0.0.1', port });
await once(socket, 'connect');
console.log(`\nconnection 127.0.0.1:${socket.localPort} → 127.0.0.1:${port}`);

const show = async (label: string): Promise<void> => {
  const { timer } = await readSocketOptions(socket);
  console.log(`  ${label.padEnd(44)} timer ${timer.kind}${timer.ms ? `, ${timer.ms} ms` : ''}`);
};
await show('plain socket:');
console.log(
  '  asked:',
  JSON.stringify(applySocketOptions(socket, { keepAlive: { delayMs: 42_500 } })),
);
await show('keepAlive { delayMs: 42_500 }:');

const tuned = { delayMs: 10_000, intervalMs: 2_000, probes: 3 };
try {
  console.log('  asked:', JSON.stringify(applySocketOptions(socket, { keepAlive: tuned })));
  await show('keepAlive { 10 s, every 2 s, 3 probes }:');
  console.log(
    `  → a dead idle peer is now noticed after ${seconds(tuned.delayMs)} + ${tuned.probes} × ${seconds(tuned.intervalMs)} = ${seconds(tuned.delayMs + tuned.probes * tuned.intervalMs)}`,
  );
} catch (err) {
  console.log(`  keepAlive { intervalMs, probes } refused: ${(err as Error).message}`);
}
applySocketOptions(socket, { keepAlive: false });
await show('keepAlive: false:');

socket.destroy();
server.close();
