/**
 * socketlab-ft benchmarks, against the obvious alternatives in the same run:
 *   one-file    1 GiB over loopback (BENCH_QUICK=1: 32 MiB), hashed on both ends, fsynced,
 *               vs a raw node:net pipe (read → socket → write, fsync, no hash) and vs `nc`
 *   many-files  10,000 files of 4 KiB (BENCH_QUICK=1: 500) vs `tar | nc` into `nc | tar`
 *   web         the upload page in Debian's chromium (128 MiB; BENCH_QUICK=1: 8 MiB) vs the same
 *               file uploaded from Node over the same WebSocket protocol
 *   pnpm bench [one-file] [many-files] [web]
 * Each end runs in its own process. Temporary files are removed at the end.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_QUICK, type BenchRow, runBenchGroups } from '@socketlab/testkit';
import { rows as webRows } from './web.ts';

const MiB = 1024 * 1024;
const PEER = fileURLToPath(new URL('./peer.ts', import.meta.url));
const ROUNDS = BENCH_QUICK ? 1 : 3;
const STEP_MS = 600_000; // a watchdog per step, far above any real run

interface Peer {
  child: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
}

function peer(args: string[]): Peer {
  const child = fork(PEER, args, {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  child.on('message', (m) => {
    queue.push(m as Record<string, unknown>);
    wake();
  });
  child.on('exit', wake);
  return {
    child,
    async next(type) {
      const deadline = Date.now() + STEP_MS;
      for (;;) {
        const at = queue.findIndex((m) => m.type === type || m.type === 'failed');
        if (at >= 0) {
          const [m] = queue.splice(at, 1) as [Record<string, unknown>];
          if (m.type === 'failed')
            throw new Error(`benchmark peer ${args[0]} failed: ${String(m.message)}`);
          return m;
        }
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`peer ${args[0]} gave no ${type}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/** Runs one transfer between two peers; returns its seconds, from 'go' to `doneBy`'s 'done'. */
async function timed(
  receiveArgs: string[],
  sendArgs: (port: number) => string[],
  doneBy: 'sender' | 'receiver',
): Promise<number> {
  const receiver = peer(receiveArgs);
  try {
    const { port } = await receiver.next('ready');
    const sender = peer(sendArgs(Number(port)));
    try {
      await sender.next('ready');
      const started = performance.now();
      sender.child.send('go');
      const done = await (doneBy === 'sender' ? sender : receiver).next('done');
      if (done.ok !== true)
        throw new Error(`the transfer did not complete: ${JSON.stringify(done)}`);
      const seconds = (performance.now() - started) / 1000;
      await (doneBy === 'sender' ? receiver : sender).next('done');
      return seconds;
    } finally {
      sender.child.kill();
    }
  } finally {
    receiver.child.kill();
  }
}

const hasCommand = (name: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `receiveShell` listens with `nc -l` (reading {PORT}); `sendShell` retries until it connects. */
async function timedShell(receiveShell: string, sendShell: string): Promise<number> {
  const port = String(await freePort());
  const receiver = spawn('sh', ['-c', receiveShell.replaceAll('{PORT}', port)], {
    stdio: 'inherit',
  });
  const exited = once(receiver, 'exit');
  const started = performance.now();
  // nc -l cannot be probed without using up its one connection: the sender retries briefly.
  const retrying = `for i in $(seq 200); do ${sendShell.replaceAll('{PORT}', port)} && exit 0; sleep 0.01; done; exit 1`;
  const sender = spawn('sh', ['-c', retrying], { stdio: 'inherit' });
  const [code] = (await once(sender, 'exit')) as [number];
  if (code !== 0) throw new Error(`the shell sender failed: ${sendShell}`);
  const [receiverCode] = (await exited) as [number];
  if (receiverCode !== 0) throw new Error(`the shell receiver failed: ${receiveShell}`);
  return (performance.now() - started) / 1000;
}

async function withTemp<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'socketlab-ft-bench-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let runs = 0;
/** The fastest of {@link ROUNDS} runs, each into a fresh folder under `dir` (removed after). */
async function bestInto(dir: string, run: (into: string) => Promise<number>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const into = path.join(dir, `in-${runs++}`);
    await mkdir(into);
    fastest = Math.min(fastest, await run(into));
    await rm(into, { recursive: true });
  }
  return fastest;
}

/** One socketlab-ft transfer of `source` into `into`: seconds from 'go' to the sender's end. */
const ftSeconds = (into: string, source: string): Promise<number> =>
  timed(
    ['ft-receive', into, 'bench-code'],
    (port) => ['ft-send', String(port), 'bench-code', source],
    'sender',
  );

const row = (
  bench: string,
  unit: string,
  value: number,
  baseline: string,
  baselineValue: number,
): BenchRow => ({
  bench,
  unit,
  value,
  baseline,
  baselineValue,
  ratio: value / baselineValue,
});

async function oneFileRows(): Promise<BenchRow[]> {
  const size = (BENCH_QUICK ? 32 : 1024) * MiB;
  const label = BENCH_QUICK ? 'ft-32MiB' : 'ft-1GiB';
  return withTemp(async (dir) => {
    const file = path.join(dir, 'big.bin');
    const handle = await open(file, 'w');
    const block = Buffer.alloc(8 * MiB);
    for (let at = 0; at < size; at += block.length) {
      randomFillSync(block);
      await handle.write(block.subarray(0, Math.min(block.length, size - at)));
    }
    await handle.close();
    const mbps = (seconds: number): number => size / MiB / seconds;
    const ours = await bestInto(dir, (into) => ftSeconds(into, file));
    const raw = await bestInto(dir, async (into) => {
      const seconds = await timed(
        ['raw-receive', path.join(into, 'big.bin')],
        (port) => ['raw-send', String(port), file],
        'receiver',
      );
      return seconds;
    });
    const rows = [row(label, 'MiB/s', mbps(ours), 'node:net pipe', mbps(raw))];
    if (hasCommand('nc')) {
      const nc = await bestInto(dir, async (into) => {
        const seconds = await timedShell(
          `nc -l 127.0.0.1 {PORT} > '${into}/big.bin' && sync -f '${into}/big.bin'`,
          `nc -N 127.0.0.1 {PORT} < '${file}'`,
        );
        return seconds;
      });
      rows.push(row(label, 'MiB/s', mbps(ours), 'nc', mbps(nc)));
    } else
      process.stderr.write(
        'one-file: nc is not installed, its row is left out (apt-get install netcat-openbsd)\n',
      );
    return rows;
  });
}

async function manyFilesRows(): Promise<BenchRow[]> {
  const count = BENCH_QUICK ? 500 : 10_000;
  const label = `ft-${count}x4KiB`;
  return withTemp(async (dir) => {
    const tree = path.join(dir, 'src', 'many');
    const block = Buffer.alloc(4096);
    for (let i = 0; i < count; i += 100) {
      const sub = path.join(tree, `d${String(i / 100).padStart(3, '0')}`);
      await mkdir(sub, { recursive: true });
      for (let j = i; j < Math.min(count, i + 100); j++) {
        randomFillSync(block);
        await writeFile(path.join(sub, `f${j}.bin`), block);
      }
    }
    const ours = await bestInto(dir, (into) => ftSeconds(into, tree));
    if (!hasCommand('nc')) {
      process.stderr.write('many-files: nc is not installed, the tar | nc row is left out\n');
      return [];
    }
    const tarNc = await bestInto(dir, async (into) => {
      const seconds = await timedShell(
        `nc -l 127.0.0.1 {PORT} | tar -C '${into}' -xf - && sync -f '${into}'`,
        `tar -C '${path.dirname(tree)}' -cf - many | nc -N 127.0.0.1 {PORT}`,
      );
      return seconds;
    });
    return [row(label, 'files/s', count / ours, 'tar | nc', count / tarNc)];
  });
}

await runBenchGroups({ 'one-file': oneFileRows, 'many-files': manyFilesRows, web: webRows });
