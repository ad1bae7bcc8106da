/**
 * Verdicts later (hello flag `pipelined`): a sender announces the next file as soon as a body is
 * sent, and the receiver finishes a file (hash, fsync, link, the folder's fsync) while it takes
 * the next one. The contract: results still come in the bodies' order, each one only after the
 * file AND its folder are on disk, a folder sync covers every file linked before it began (so
 * files finishing together share it), and nothing is lost when a session dies with verdicts
 * outstanding. A peer without the flag gets one file at a time, as before.
 */
import { constants } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { nextEvent, pollUntil, seededBytes, tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeFileTransferMessage } from '../../src/file-transfer/codec.ts';
import { type FileTransferFs, nodeFileTransferFs } from '../../src/file-transfer/fs.ts';
import {
  FILE_TRANSFER_HELLO_FLAGS,
  type FileTransferMessage,
} from '../../src/file-transfer/protocol.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { FileTransferStream } from '../../src/file-transfer/stream.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

const ALL =
  FILE_TRANSFER_HELLO_FLAGS.noSpace |
  FILE_TRANSFER_HELLO_FLAGS.digestAfter |
  FILE_TRANSFER_HELLO_FLAGS.pipelined;

/**
 * The real file system, logging each link into place and each folder sync (its start and end),
 * with folder syncs held at a gate until the test opens it.
 */
function gatedFs(): {
  fs: FileTransferFs;
  log: string[];
  links: () => number;
  folderSyncs: () => number;
  open: () => void;
} {
  const log: string[] = [];
  let opened = false;
  let opening: Array<() => void> = [];
  let syncs = 0;
  const fs: FileTransferFs = {
    ...nodeFileTransferFs,
    async link(from, to) {
      await nodeFileTransferFs.link(from, to);
      log.push(`link ${path.basename(to)}`);
    },
    async rename(from, to) {
      await nodeFileTransferFs.rename(from, to);
      log.push(`link ${path.basename(to)}`);
    },
    async open(file, flags, mode) {
      const handle = await nodeFileTransferFs.open(file, flags, mode);
      if ((flags & constants.O_DIRECTORY) === 0) return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        sync: async () => {
          const id = ++syncs;
          log.push(`sync-start ${id}`);
          if (!opened) await new Promise<void>((resolve) => opening.push(resolve));
          await handle.sync();
          log.push(`sync-end ${id}`);
        },
      });
    },
  };
  return {
    fs,
    log,
    links: () => log.filter((e) => e.startsWith('link ')).length,
    folderSyncs: () => syncs,
    open: () => {
      opened = true;
      for (const resolve of opening) resolve();
      opening = [];
    },
  };
}

async function sources(dir: string, count: number, size = 4096): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `f${String(i).padStart(3, '0')}.bin`);
    await writeFile(file, seededBytes(100 + i, size));
    files.push(file);
  }
  return files;
}

describe('verdicts later (pipelined)', () => {
  it('announces the next files while the first is still being synced, and files finishing together share one folder sync', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const gate = gatedFs();
    const { port, log } = await startReceiver({ directory: dst, fs: gate.fs });
    const files = await sources(src, 5);
    const results = sendFiles('127.0.0.1', port, files, { answerTimeoutMs: 30_000 });
    // The first folder sync is held: a sender waiting for each verdict would never send file 2,
    // so all five links happen only if the next files came while the first was unfinished.
    await pollUntil(
      () => gate.links() === 5,
      'all five files linked while the first folder sync is held',
    );
    expect(log.file).toEqual([]); // no verdict before its folder sync
    gate.open();
    const sent = await withTimeout(results, 'the results', 20_000);
    expect(sent.map((r) => [r.name, r.status])).toEqual(
      files.map((f) => [path.basename(f), 'sent']),
    );
    // One sync was running when files 2-5 were linked: the one after it covers all four.
    expect(gate.folderSyncs()).toBe(2);
    for (const file of files)
      expect(await readFile(path.join(dst, path.basename(file)))).toEqual(await readFile(file));
  });

  it('sends each verdict after a folder sync that began after that file was linked, in the bodies order', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const gate = gatedFs();
    gate.open();
    const { receiver, port } = await startReceiver({ directory: dst, fs: gate.fs });
    const order: string[] = [];
    receiver.on('file', ({ name }) => {
      order.push(name);
      gate.log.push(`verdict ${name}`);
    });
    const files = await sources(src, 60, 1500);
    const results = await sendFiles('127.0.0.1', port, files);
    expect(results.map((r) => r.name)).toEqual(files.map((f) => path.basename(f)));
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    expect(order).toEqual(files.map((f) => path.basename(f)));
    const at = (entry: string): number => gate.log.indexOf(entry);
    for (const name of order) {
      const linked = at(`link ${name}`);
      const verdict = at(`verdict ${name}`);
      // some sync started after the link and ended before the verdict
      const covered = gate.log.some((entry, i) => {
        if (!entry.startsWith('sync-start ') || i < linked) return false;
        const end = at(`sync-end ${entry.slice('sync-start '.length)}`);
        return end !== -1 && end < verdict;
      });
      expect(covered, `${name}: no folder sync between its link and its verdict`).toBe(true);
    }
  });

  it('the same name twice in one session: the second waits for the first and is skipped', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port } = await startReceiver({ directory: dst });
    const [file] = await sources(src, 1);
    const results = await sendFiles('127.0.0.1', port, [file as string, file as string]);
    expect(results.map((r) => r.status)).toEqual(['sent', 'skipped']);
  });

  it('a wrong hash in the middle: that file fails, the ones around it land, results in order', async () => {
    const dst = await tempDir();
    const { port, log } = await startReceiver({ directory: dst });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(ALL);
    const bodies = [seededBytes(1, 3000), seededBytes(2, 3000), seededBytes(3, 3000)];
    const wire: Buffer[] = [];
    bodies.forEach((body, i) => {
      const sha256 = i === 1 ? sha256Of(Buffer.from('something else')) : sha256Of(body);
      wire.push(
        encodeFileTransferMessage({
          type: 'file',
          name: `n${i}`,
          size: body.length,
          mode: 0o644,
          sha256,
        }),
        Buffer.from(body),
      );
    });
    wire.push(encodeFileTransferMessage({ type: 'end' }));
    // Everything in one write: only a pipelining receiver takes it as it comes.
    await peer.send(Buffer.concat(wire));
    const answers: FileTransferMessage[] = [];
    for (let i = 0; i < 7; i++) {
      const message = await peer.read();
      answers.push(message);
      if (message.type === 'end') break;
    }
    expect(answers.filter((m) => m.type === 'accept')).toHaveLength(3);
    expect(
      answers.filter((m) => m.type === 'result').map((m) => m.type === 'result' && m.status),
    ).toEqual(['verified', 'integrity', 'verified']);
    expect(answers.at(-1)?.type).toBe('end');
    expect((await readdir(dst)).sort()).toEqual(['n0', 'n2']);
    expect(log.failed.map((f) => f.name)).toEqual(['n1']);
  });

  it('a sender that goes away with verdicts outstanding: the files whose bodies came are finished and kept', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const gate = gatedFs();
    const { receiver, port, log } = await startReceiver({ directory: dst, fs: gate.fs });
    const peer = await RawFileTransferPeer.connect(port);
    await peer.hello(ALL);
    const [first] = await sources(src, 1);
    const body = await readFile(first as string);
    await peer.send(
      Buffer.concat([
        encodeFileTransferMessage({
          type: 'file',
          name: 'kept.bin',
          size: body.length,
          mode: 0o644,
          sha256: sha256Of(body),
        }),
        body,
        encodeFileTransferMessage({
          type: 'file',
          name: 'cut.bin',
          size: 10_000,
          mode: 0o644,
          sha256: 'ab'.repeat(32),
        }),
        Buffer.alloc(4000, 7),
      ]),
    );
    await pollUntil(() => gate.links() === 1, 'the first file linked (its folder sync held)');
    const cut = nextEvent<[{ name: string; status: string }]>(receiver, 'failed');
    const ended = nextEvent(receiver, 'session-error');
    peer.wire.socket.destroy();
    // The body cut short is kept for a resume at once; the session ends after the verdicts due.
    expect((await cut)[0]).toMatchObject({ name: 'cut.bin', status: 'disconnected' });
    expect(log['session-error']).toEqual([]);
    gate.open();
    await ended;
    expect(log.file.map((f) => f.name)).toEqual(['kept.bin']);
    expect(await readFile(path.join(dst, 'kept.bin'))).toEqual(body);
    await withTimeout(receiver.close(), 'the receiver closing', 10_000);
  });
});

describe('without the flag on the other end', () => {
  it('a sender waits for each verdict before the next header, for a receiver that does not pipeline', async () => {
    const src = await tempDir();
    const files = await sources(src, 3, 2000);
    /** Bytes that came after a body before its result was sent: a sender that did not wait. */
    let early = 0;
    const kept: string[] = [];
    const server = net.createServer(async (socket) => {
      const stream = new FileTransferStream(socket);
      socket.on('error', () => {});
      const send = (m: FileTransferMessage): boolean => socket.write(encodeFileTransferMessage(m));
      await stream.message(5_000, 'hello');
      send({ type: 'hello', version: 1, flags: FILE_TRANSFER_HELLO_FLAGS.noSpace });
      let next: FileTransferMessage | undefined;
      for (let i = 0; i < 10; i++) {
        const message = next ?? (await stream.message(5_000, 'a header'));
        next = undefined;
        if (message.type !== 'file') {
          send({ type: 'end' });
          socket.end();
          return;
        }
        send({ type: 'accept', offset: 0 });
        const chunks: Buffer[] = [];
        await stream.body(message.size, async (c) => void chunks.push(...c), {
          idleTimeoutMs: 5_000,
          minBytesPerSecond: 0,
          rateWindowMs: 1_000,
        });
        next = stream.pendingMessage();
        if (next) early += 1;
        kept.push(message.name);
        send({
          type: 'result',
          status: 'verified',
          sha256: sha256Of(Buffer.concat(chunks)),
          message: '',
        });
      }
    });
    onTestFinished(() => void server.close());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const results = await sendFiles('127.0.0.1', (server.address() as net.AddressInfo).port, files);
    expect(results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(kept).toHaveLength(3);
    expect(early).toBe(0);
  });
});
