/**
 * File transfer over loopback: sendFiles → a file receiver (SHA-256 on both sides, fsync, atomic
 * link into place) against a raw `net` pipe of the same bytes (read file → socket → write file,
 * fsync, no protocol, no hash), in the same run. Each end runs in its own process, for both cases.
 * Three rows: with the file's hash already known (the receiver still hashes everything it
 * writes); the same with the receiver hashing on a worker thread (`hashInWorkerFromBytes: 0`);
 * and with the sender hashing the file first, the extra read that makes a resume verifiable.
 * 1 GiB (BENCH_QUICK=1: 32 MiB), written to a temp dir that is removed at the end.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { sha256OfFile } from '../src/index.ts';

const MiB = 1024 * 1024;
const SIZE = (BENCH_QUICK ? 32 : 1024) * MiB;
const ROUNDS = BENCH_QUICK ? 1 : 3;
const PEER = fileURLToPath(new URL('./file-transfer-peer.ts', import.meta.url));
const STEP_MS = 300_000; // a watchdog per step; far above any real run

type PeerMessage = { type: string; port?: number; size?: number; message?: string; cpuMs?: number };

function start(args: string[]): {
  child: ChildProcess;
  next: (type: string) => Promise<PeerMessage>;
} {
  const child = fork(PEER, args, {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: PeerMessage[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m) => {
    queue.push(m as PeerMessage);
    wake?.();
  });
  child.on('exit', () => wake?.());
  const next = async (type: string): Promise<PeerMessage> => {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const at = queue.findIndex((m) => m.type === type || m.type === 'failed');
      if (at >= 0) {
        const [m] = queue.splice(at, 1) as [PeerMessage];
        if (m.type === 'failed') throw new Error(`benchmark peer failed: ${m.message}`);
        return m;
      }
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`peer ${args.join(' ')} gave no ${type}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  return { child, next };
}

/** One transfer, timed from 'go' to the receiver's fsynced, complete file. Returns MB/s. */
async function transfer(
  label: string,
  kind: 'protocol' | 'protocol-worker' | 'raw',
  file: string,
  into: string,
  sha256?: string,
): Promise<number> {
  const receiver = start(['receive', kind, into]);
  const senderKind = kind === 'raw' ? 'raw' : 'protocol';
  try {
    const { port, cpuMs: receiverStartMs = 0 } = await receiver.next('ready');
    const sender = start(['send', senderKind, String(port), file, ...(sha256 ? [sha256] : [])]);
    try {
      const { cpuMs: senderStartMs = 0 } = await sender.next('ready');
      const started = performance.now();
      sender.child.send('go');
      const { size, cpuMs: receiverMs = 0 } = await receiver.next('done');
      const seconds = (performance.now() - started) / 1000;
      if (size !== SIZE) throw new Error(`received ${size} bytes, expected ${SIZE}`);
      const { cpuMs: senderMs = 0 } = await sender.next('sent');
      // Where the time goes: CPU each end spent during the transfer, against the wall clock.
      console.error(
        `  ${label} ${(seconds * 1000).toFixed(0)} ms wall; CPU: sender ${(senderMs - senderStartMs).toFixed(0)} ms, receiver ${(receiverMs - receiverStartMs).toFixed(0)} ms`,
      );
      return SIZE / 1e6 / seconds;
    } finally {
      sender.child.kill();
    }
  } finally {
    receiver.child.kill();
    await once(receiver.child, 'exit').catch(() => {});
    await rm(into, { recursive: true, force: true });
  }
}

async function makeFile(file: string): Promise<string> {
  const handle = await open(file, 'w');
  const hash = createHash('sha256');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < SIZE / MiB; i++) {
    randomFillSync(block); // incompressible bytes; a benchmark needs no seed
    hash.update(block);
    await handle.write(block);
  }
  await handle.close();
  return hash.digest('hex');
}

export async function rows(): Promise<BenchRow[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'socketlab-bench-ft-'));
  try {
    const file = path.join(dir, 'source.bin');
    const sha256 = await makeFile(file);
    if ((await sha256OfFile(file)) !== sha256)
      throw new Error('the source file does not hash as written');
    const best = { raw: 0, known: 0, worker: 0, hashing: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const into = (name: string): string => path.join(dir, `${name}-${round}`);
      for (const name of ['raw', 'known', 'worker', 'hashing']) await mkdir(into(name));
      best.raw = Math.max(best.raw, await transfer('raw pipe', 'raw', file, into('raw')));
      best.known = Math.max(
        best.known,
        await transfer('hash known', 'protocol', file, into('known'), sha256),
      );
      best.worker = Math.max(
        best.worker,
        await transfer('hash known, worker', 'protocol-worker', file, into('worker'), sha256),
      );
      best.hashing = Math.max(
        best.hashing,
        await transfer('hash first', 'protocol', file, into('hashing')),
      );
    }
    const label = `${SIZE / MiB} MiB`;
    const row = (bench: string, value: number): BenchRow => ({
      bench,
      unit: 'MB/s',
      value,
      baseline: 'raw net pipe (no hash)',
      baselineValue: best.raw,
      ratio: value / best.raw,
    });
    return [
      row(`file-transfer ${label}, hash known`, best.known),
      row(`file-transfer ${label}, hash known, worker`, best.worker),
      row(`file-transfer ${label}, hash first`, best.hashing),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
