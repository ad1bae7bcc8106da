import { once } from 'node:events';
import { mkdir, readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type FileTransferFs, nodeFileTransferFs, RemoteError } from '@socketlab/tcp-udp';
import { pollUntil, seededBytes, tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startFtReceiver } from '../src/receiver/ft-receiver.ts';
import { receivedFilePaths } from '../src/receiver/layout.ts';
import {
  hashOfFile,
  PROCESS_WAIT_MS,
  runSender,
  spawnReceiver,
  spawnSender,
  writeRandomFile,
} from './helpers/cli.ts';
import { sendRaw } from './helpers/hostile.ts';

const MiB = 1024 * 1024;
const LONG = PROCESS_WAIT_MS * 6;

/** Numbers in [0, 1) drawn from testkit's seeded bytes: the same seed, the same kill points. */
function seeded(seed: number): () => number {
  const bytes = seededBytes(seed, 64);
  let at = 0;
  return () => {
    const value = bytes.readUInt32BE(at) / 2 ** 32;
    at = (at + 4) % bytes.length;
    return value;
  };
}

const sizeOf = (file: string) =>
  stat(file).then(
    (s) => s.size,
    () => 0,
  );

/**
 * The size of `big.bin`'s partial file in `dst` (0 when there is none). Its name changes as a
 * transfer is resumed: announced without its hash first (the hash follows the body), the partial
 * is hash-less; the next run is asked for the hash and the partial is renamed after it.
 */
async function partialSize(dst: string): Promise<number> {
  const partials = (await readdir(dst)).filter((name) =>
    /^\.big\.bin\.[0-9a-f]{16}\.partial$/.test(name),
  );
  if (partials.length > 1)
    throw new Error(`more than one partial of big.bin: ${partials.join(', ')}`);
  return partials[0] === undefined ? 0 : sizeOf(path.join(dst, partials[0]));
}

/** A random `big.bin` to send, an empty folder to receive it, and where it will land there. */
async function bigSource(size: number) {
  const [src, dst] = [await tempDir('ft-src-'), await tempDir('ft-dst-')];
  const file = path.join(src, 'big.bin');
  await writeRandomFile(file, size);
  const sha256 = await hashOfFile(file);
  const { final } = receivedFilePaths(dst, 'big.bin', sha256);
  return { file, sha256, dst, final };
}

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

describe('socketlab-ft resumes where a transfer stopped', () => {
  const SEED = Number(process.env.FT_RESUME_SEED ?? 0x5eed);

  it(
    `after the sender is killed at seeded random points (seed ${SEED}), until the file is whole`,
    async () => {
      const random = seeded(SEED);
      const size = 64 * MiB;
      const { file, sha256, dst, final } = await bigSource(size);
      const receiver = await spawnReceiver(dst);
      const args = [file, `127.0.0.1:${receiver.port}`, '--code', receiver.code];
      let kept = 0;
      let finishedEarly = false;
      let receiverDone = false;
      for (let round = 0; round < 3 && !finishedEarly; round++) {
        const target = kept + Math.floor((size - kept) * (0.1 + 0.5 * random()));
        const sender = spawnSender(args);
        const reached = await pollUntil(
          async () => {
            const now = await partialSize(dst);
            return now >= target ? now : undefined;
          },
          `the partial file reaching ${target} bytes in round ${round} (seed ${SEED})`,
          { ms: PROCESS_WAIT_MS, intervalMs: 2, maxTries: 100_000 },
        ).catch((error: Error) => {
          throw new Error(`${error.message}; the sender printed: ${sender.output()}`);
        });
        sender.child.kill('SIGKILL');
        await withTimeout(sender.exited, 'the killed sender', PROCESS_WAIT_MS);
        // The receiver has closed the session (and kept the partial) before the next round, or
        // (the kill landed after the sender's last word) it is done and exits.
        const done = await pollUntil(
          () => {
            if (/^done: /m.test(receiver.stdout())) return 'done';
            return count(receiver.stdout(), /still listening on port/g) > round && 'listening';
          },
          `the receiver noticing the kill in round ${round}`,
          { ms: PROCESS_WAIT_MS },
        );
        receiverDone = done === 'done';
        // The last bytes may have landed just before the kill: then the file is whole already.
        finishedEarly = (await sizeOf(final)) === size;
        if (finishedEarly) break;
        const now = await partialSize(dst);
        expect(
          now,
          `round ${round}: the partial keeps what arrived (seed ${SEED})`,
        ).toBeGreaterThanOrEqual(reached);
        kept = now;
      }
      if (!receiverDone) {
        const last = await runSender(args);
        expect(last.code, last.err).toBe(0);
        if (finishedEarly) expect(last.out).toMatch(/done: 0 files sent .*1 already there/);
        else {
          expect(last.out).toMatch(/big\.bin: resuming at /);
          // The receiver holds a partial, so it asks for the hash first: the sender says why it
          // reads the file before sending the rest (its hash is remembered only once it arrived).
          expect(last.out).toMatch(
            /^big\.bin: the receiver has it or part of it; reading it to hash it/m,
          );
          expect(last.out).toMatch(/done: 1 file sent .*1 resumed/);
        }
      }
      expect(await hashOfFile(final)).toBe(sha256);
      expect(await readdir(dst)).toEqual(['big.bin']);
      expect(await withTimeout(receiver.exited, 'the receiver, done', PROCESS_WAIT_MS)).toEqual({
        code: 0,
        signal: null,
      });
    },
    LONG,
  );

  it(
    'after Ctrl-C on the sender: it stops gracefully, says how to resume, and the next run does',
    async () => {
      const size = 64 * MiB;
      const { file, sha256, dst, final } = await bigSource(size);
      const receiver = await spawnReceiver(dst);
      const args = [file, `127.0.0.1:${receiver.port}`, '--code', receiver.code];
      const sender = spawnSender(args);
      await pollUntil(async () => (await partialSize(dst)) > 0, 'the first bytes', {
        ms: PROCESS_WAIT_MS,
        intervalMs: 2,
        maxTries: 100_000,
      });
      sender.child.kill('SIGINT');
      const exit = await withTimeout(sender.exited, 'the interrupted sender', PROCESS_WAIT_MS);
      if (exit.code === 0) {
        // It had finished before the signal landed: nothing to resume, and that is fine.
        expect(await hashOfFile(final)).toBe(sha256);
        return;
      }
      expect(exit).toEqual({ code: 1, signal: null });
      expect(sender.stderr()).toMatch(
        /interrupted; what arrived is kept on the receiver: run the same command again to resume/,
      );
      const again = await runSender(args);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/1 resumed/);
      expect(await hashOfFile(final)).toBe(sha256);
    },
    LONG,
  );

  it(
    'after the receiver dies: the sender says so, and resumes with a new receiver on the same folder',
    async () => {
      const size = 64 * MiB;
      const { file, sha256, dst, final } = await bigSource(size);
      const first = await spawnReceiver(dst, ['--code', 'kiwi-lemon']);
      const sender = spawnSender([file, `127.0.0.1:${first.port}`, '--code', 'kiwi-lemon']);
      await pollUntil(async () => (await partialSize(dst)) >= size / 4, 'a quarter of the file', {
        ms: PROCESS_WAIT_MS,
        intervalMs: 2,
        maxTries: 100_000,
      });
      first.child.kill('SIGKILL');
      expect(await withTimeout(sender.exited, 'the sender giving up', PROCESS_WAIT_MS)).toEqual({
        code: 1,
        signal: null,
      });
      expect(sender.stderr()).toMatch(/run the same command again to resume/);
      const kept = await partialSize(dst);
      expect(kept).toBeGreaterThan(0);

      const second = await spawnReceiver(dst, ['--code', 'kiwi-lemon']);
      const again = await runSender([file, `127.0.0.1:${second.port}`, '--code', 'kiwi-lemon']);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/resuming at /);
      expect(again.out).toMatch(/1 resumed/);
      expect(await hashOfFile(final)).toBe(sha256);
    },
    LONG,
  );

  it(
    'after a sender stalls: the receiver cuts it after --timeout, keeps the partial, and stays up',
    async () => {
      const { file, sha256, dst, final } = await bigSource(8 * MiB);
      const receiver = await spawnReceiver(dst, ['--timeout', '1', '--code', 'owl-mint']);
      // A proxy that passes the first 2 MiB on, then holds everything else: a stalled sender.
      let forwarded = 0;
      const proxy = net.createServer((client) => {
        const upstream = net.connect(receiver.port, '127.0.0.1');
        for (const s of [client, upstream]) s.on('error', () => {});
        upstream.pipe(client);
        upstream.on('close', () => client.destroy());
        client.on('data', (chunk: Buffer) => {
          const room = 2 * MiB - forwarded;
          if (room > 0) upstream.write(chunk.subarray(0, room));
          forwarded += chunk.length;
        });
      });
      onTestFinished(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
      proxy.listen(0, '127.0.0.1');
      await once(proxy, 'listening');
      const { port } = proxy.address() as net.AddressInfo;
      const failed = await sendRaw(port, 'owl-mint', [{ path: file, name: 'big.bin' }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(RemoteError);
      expect((failed as RemoteError).remoteCode).toBe('timeout');
      await pollUntil(
        () => /still listening on port/.test(receiver.stdout()),
        'the receiver, still up',
      );
      expect(receiver.stdout()).toMatch(/the session ended early: .*\d+ ?ms/);
      expect(await partialSize(dst)).toBeGreaterThan(0);

      const honest = await runSender([file, `127.0.0.1:${receiver.port}`, '--code', 'owl-mint']);
      expect(honest.code, honest.err).toBe(0);
      expect(honest.out).toMatch(/1 resumed/);
      expect(await hashOfFile(final)).toBe(sha256);
    },
    LONG,
  );

  it(
    'after the disk fills up mid-file: the sender is told, the partial is kept and resumed',
    async () => {
      const { file, sha256, dst, final } = await bigSource(8 * MiB);
      let used = 0;
      const room = 3 * MiB;
      // The real file system, with `room` bytes free for partial files (a short write, then ENOSPC).
      const fillingDisk: FileTransferFs = {
        ...nodeFileTransferFs,
        async open(name, flags, mode) {
          const handle = await nodeFileTransferFs.open(name, flags, mode);
          if (!name.endsWith('.partial')) return handle;
          return Object.assign(Object.create(handle) as typeof handle, {
            async writev(buffers: Uint8Array[], position?: number) {
              if (used >= room)
                throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
              const bytes = Buffer.concat(buffers).subarray(0, room - used);
              const { bytesWritten } = await handle.writev([bytes], position);
              used += bytesWritten;
              return { bytesWritten };
            },
          });
        },
      };
      const full = await startFtReceiver({
        directory: dst,
        code: 'ruby-reef',
        receiver: { fs: fillingDisk },
      });
      onTestFinished(() => full.close());
      const failed = await runSender([file, `127.0.0.1:${full.port}`, '--code', 'ruby-reef']);
      expect(failed.code).toBe(1);
      expect(failed.err).toMatch(
        /no-space.*disk is full.*free space there and send again to resume/,
      );
      expect(await partialSize(dst)).toBe(room);
      await full.close();

      await mkdir(dst, { recursive: true });
      const roomy = await startFtReceiver({ directory: dst, code: 'ruby-reef' });
      onTestFinished(() => roomy.close());
      const again = await runSender([file, `127.0.0.1:${roomy.port}`, '--code', 'ruby-reef']);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/resuming at 3\.00 MiB/);
      expect(await hashOfFile(final)).toBe(sha256);
    },
    LONG,
  );
});
