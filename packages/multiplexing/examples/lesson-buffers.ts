/**
 * Socket buffer sizes, read back from the kernel: a TCP connection's receive and send buffers
 * before and after a bulk transfer (Linux grows them itself: `net.ipv4.tcp_rmem`/`tcp_wmem`
 * autotuning, seen with `ss -tmi`), and a UDP socket's `SO_RCVBUF` as asked and as read back
 * (Linux doubles it and caps it at `net.core.rmem_max`).
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-buffers.ts [MiB]
 *
 * Linux only (it runs `ss`, from iproute2). Used by lessons/socket-options.md.
 */

import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { applyUdpSocketOptions, readUdpSocketOptions } from '../src/index.ts';

const mebibytes = Number(process.argv[2] ?? 256);
if (!Number.isInteger(mebibytes) || mebibytes < 1 || mebibytes > 4_096) {
  throw new RangeError(`MiB must be an integer from 1 to 4096, got ${process.argv[2]}`);
}
const sysctl = (name: string): string =>
  readFileSync(`/proc/sys/net/${name.replaceAll('.', '/')}`, 'utf8')
    .trim()
    .replace(/\s+/g, ' ');
for (const name of ['ipv4.tcp_rmem', 'ipv4.tcp_wmem', 'core.rmem_default', 'core.rmem_max']) {
  console.log(`net.${name.padEnd(18)} ${sysctl(name)}`);
}

/** `rb` (receive buffer) and `tb` (send buffer) of one socket, from `ss -tmi`'s skmem field. */
function skmem(localPort: number, remotePort: number): { rb: number; tb: number } {
  const text = execFileSync(
    'ss',
    ['-tmiH', 'state', 'established', `( sport = :${localPort} and dport = :${remotePort} )`],
    { encoding: 'utf8', timeout: 5_000 },
  );
  const match = /skmem:\(r\d+,rb(\d+),t\d+,tb(\d+)/.exec(text);
  if (!match) throw new Error(`no skmem for ${localPort} → ${remotePort} in: ${text}`);
  return { rb: Number(match[1]), tb: Number(match[2]) };
}

let received = 0;
const server = net.createServer((socket) => {
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as net.AddressInfo).port;
const client = net.connect({ host: '127.0.0.1', port });
await once(client, 'connect');
const local = client.localPort as number;

const show = (label: string): void => {
  const sender = skmem(local, port);
  const receiver = skmem(port, local);
  console.log(
    `  ${label.padEnd(26)} sender tb ${String(sender.tb).padStart(9)}   receiver rb ${String(receiver.rb).padStart(9)}`,
  );
};
console.log(
  `\nTCP on 127.0.0.1, ${mebibytes} MiB in 64 KiB writes (bytes, as ss -tmi shows them):`,
);
show('just connected:');
const chunk = Buffer.alloc(64 * 1024, 0x61);
const started = performance.now();
for (let sent = 0; sent < mebibytes * 1024 * 1024; sent += chunk.length) {
  if (!client.write(chunk)) await once(client, 'drain');
}
while (received < mebibytes * 1024 * 1024) await new Promise((r) => setImmediate(r));
const seconds = (performance.now() - started) / 1_000;
show(`after ${mebibytes} MiB:`);
console.log(
  `  (${(mebibytes / seconds).toFixed(0)} MiB/s, sender and receiver in this one process)`,
);
client.destroy();
server.close();

console.log('\nUDP SO_RCVBUF, asked → read back (getsockopt):');
const udp = dgram.createSocket('udp4');
udp.bind(0, '127.0.0.1');
await once(udp, 'listening');
console.log(`  ${'default'.padStart(10)} → ${readUdpSocketOptions(udp).receiveBufferBytes}`);
for (const asked of [4_096, 32_768, 1 << 20, 16 << 20]) {
  const { receiveBufferBytes } = applyUdpSocketOptions(udp, { receiveBufferBytes: asked });
  console.log(`  ${String(asked).padStart(10)} → ${receiveBufferBytes}`);
}
udp.close();
