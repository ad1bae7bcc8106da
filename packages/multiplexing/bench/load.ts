/**
 * The load generator's own ceiling, so its figures can be trusted: replies per second that
 * `runLoad` handles against the fastest echo there is (a bare `node:net` `socket.pipe(socket)` in
 * its own process, so target and generator each get a core), next to an autocannon-style raw
 * loop on `node:net` (N connections, each keeping W lines in flight, counting newlines) against
 * the same echo in the same run (replies are answered with one write each batch). `runLoad` is
 * asked for 2× the raw loop's rate, so it runs flat out; the ratio is what its schedule, id matching and two HDR histograms cost.
 * A second row runs it at half its own ceiling and reports the rate it achieved over the rate
 * asked (1.00 means it kept the schedule).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { runLoad } from '../src/index.ts';

const CONNECTIONS = 8;
const IN_FLIGHT = 32;
const MESSAGE_BYTES = 64;
const DURATION_MS = BENCH_QUICK ? 500 : 3_000;

const ECHO = `require('node:net').createServer((s) => { s.on('error', () => {}); s.pipe(s); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

/** A bare echo server in a child process; resolves with its port and a stop function. */
async function startEcho(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the echo child did not start in 10 s')),
      10_000,
    );
    child.stdout.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(Number(chunk.toString().trim()));
    });
    child.once('exit', (code) => reject(new Error(`the echo child exited with ${code}`)));
  });
  return { port, stop: () => child.kill('SIGKILL') };
}

/** Autocannon-style: each connection keeps IN_FLIGHT lines outstanding; replies per second. */
async function rawLoop(port: number): Promise<number> {
  // IN_FLIGHT lines back to back: n replies are answered with one write of n lines.
  const lines = Buffer.alloc(MESSAGE_BYTES * IN_FLIGHT, 'x');
  for (let i = 1; i <= IN_FLIGHT; i++) lines[i * MESSAGE_BYTES - 1] = 0x0a;
  let replies = 0;
  let stopping = false;
  const sockets = await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const started = performance.now();
  for (const socket of sockets) {
    socket.on('data', (chunk: Buffer) => {
      let n = 0;
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++;
      replies += n;
      if (!stopping && n > 0) socket.write(lines.subarray(0, n * MESSAGE_BYTES));
    });
    socket.write(lines);
  }
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  stopping = true;
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.destroy();
  return replies / seconds;
}

async function generator(port: number, messagesPerSecond: number): Promise<number> {
  const report = await runLoad({
    target: { host: '127.0.0.1', port },
    connections: CONNECTIONS,
    maxInFlight: IN_FLIGHT,
    messageBytes: MESSAGE_BYTES,
    messagesPerSecond,
    durationMs: DURATION_MS,
    drainTimeoutMs: 500,
  });
  // Replies within the schedule's window: the drain after it is not load.
  return report.counts.received / (report.durationMs / 1000);
}

export async function rows(): Promise<BenchRow[]> {
  const echo = await startEcho();
  try {
    await rawLoop(echo.port); // warm-up of both ends
    const raw = await rawLoop(echo.port);
    await generator(echo.port, Math.round(raw / 4)); // warm-up of the generator
    const flatOut = await generator(echo.port, Math.round(raw * 2));
    const half = Math.round(flatOut / 2);
    const atHalf = await generator(echo.port, half);
    return [
      {
        bench: `load-ceiling-${CONNECTIONS}x${IN_FLIGHT}-${MESSAGE_BYTES}B`,
        unit: 'replies/s',
        value: flatOut,
        baseline: 'node:net raw loop',
        baselineValue: raw,
        ratio: flatOut / raw,
      },
      {
        bench: 'load-keeps-schedule-at-half',
        unit: 'replies/s (achieved vs asked)',
        value: atHalf,
        baseline: 'the asked rate',
        baselineValue: half,
        ratio: atHalf / half,
      },
    ];
  } finally {
    echo.stop();
  }
}
