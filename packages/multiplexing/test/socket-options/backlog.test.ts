import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { nextEvent } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * A listener in another process whose event loop we can block on demand, so nothing calls
 * accept() and the kernel's accept queue (sized by `backlog`) fills. It prints its port, then on
 * a line on stdin prints `blocked`, blocks for `blockMs` (Atomics.wait: no CPU), and prints `awake`.
 */
const LISTENER = `
const net = require('node:net');
const [backlog, blockMs] = process.argv.slice(1).map(Number);
const server = net.createServer((socket) => socket.on('error', () => {}));
server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
  process.stdout.write(server.address().port + '\\n');
  process.stdin.once('data', () => {
    process.stdout.write('blocked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs);
    process.stdout.write('awake\\n');
  });
});
`;

/**
 * Opens `count` connections at once while the listener does not accept, and returns how many the
 * kernel completed before the listener woke up.
 */
async function connectedWhileBlocked(backlog: number, count: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', LISTENER, String(backlog), '1500'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    child.kill();
  });
  const lines = createInterface({ input: child.stdout });
  const [portLine] = await nextEvent<[string]>(lines, 'line', 10_000);
  const port = Number(portLine);
  child.stdin.write('go\n');
  await nextEvent(lines, 'line', 10_000); // 'blocked': from here nothing accepts for 1.5 s
  let connected = 0;
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ host: '127.0.0.1', port });
    onTestFinished(() => {
      socket.destroy();
    });
    socket.on('error', () => {});
    socket.once('connect', () => connected++);
  }
  await nextEvent(lines, 'line', 10_000); // 'awake'
  return connected;
}

describe.runIf(process.platform === 'linux')('the listen backlog under a connection burst', () => {
  it('completes only backlog + 1 handshakes while nothing accepts; a large backlog takes the burst', async () => {
    const burst = 16;
    const small = await connectedWhileBlocked(1, burst);
    const large = await connectedWhileBlocked(64, burst);
    // Linux queues backlog + 1 completed connections and drops further SYNs (the clients resend
    // them after 1 s, 3 s, …); syncookies do not help past a full accept queue.
    expect(small).toBeLessThanOrEqual(2);
    expect(large).toBe(burst);
  });
});
