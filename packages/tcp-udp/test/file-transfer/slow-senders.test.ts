/**
 * Regression (issue 8): sessions that announce a large file and then send one byte now and then
 * held every session slot indefinitely (the idle timer restarted on every byte), and a
 * well-behaved client was told `busy` for as long as they liked. Now a body has a minimum rate,
 * one address has a session cap, and the bytes buffered across sessions have a budget.
 */
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import path from 'node:path';
import { pollUntil, seededBytes, tempDir } from '@socketlab/testkit';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { BufferBudget } from '../../src/file-transfer/buffer-budget.ts';
import { sendFiles } from '../../src/file-transfer/sender.ts';
import { FileTransferStream } from '../../src/file-transfer/stream.ts';
import { RawFileTransferPeer, sha256Of, startReceiver } from '../helpers/file-transfer-fixtures.ts';

/** A peer that announces a 100 kB file, is accepted, then sends one byte every 50 ms. */
async function trickler(port: number, name: string): Promise<RawFileTransferPeer> {
  const peer = await RawFileTransferPeer.connect(port);
  await peer.hello();
  const body = seededBytes(31, 100_000);
  await peer.send({ type: 'file', name, size: body.length, mode: 0o644, sha256: sha256Of(body) });
  expect(await peer.read()).toEqual({ type: 'accept', offset: 0 });
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= 300 || peer.wire.socket.destroyed)
      clearInterval(timer); // bounded: 15 s at most
    else peer.wire.socket.write(body.subarray(sent, ++sent));
  }, 50);
  onTestFinished(() => clearInterval(timer));
  return peer;
}

describe('slow senders', () => {
  it('are cut under minBodyBytesPerSecond, and a good client is served meanwhile', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { port, log } = await startReceiver({
      directory: dst,
      maxSessions: 2,
      minBodyBytesPerSecond: 1000,
      // Long enough for the good client's first try to find both slots taken on a busy machine.
      bodyRateWindowMs: 1500,
    });
    const slow = [await trickler(port, 'slow-1.bin'), await trickler(port, 'slow-2.bin')];
    const good = path.join(src, 'good.txt');
    await writeFile(good, 'well-behaved');
    await expect(sendFiles('127.0.0.1', port, [good]), 'the slots are taken').rejects.toMatchObject(
      { remoteCode: 'busy' },
    );
    // The idle timeout (30 s by default) never fires for them: only the rate cuts them.
    const cut = () =>
      log['session-error'].filter((e) => e.code === 'TCPUDP_ERR_TIMEOUT' && /B\/s/.test(e.message));
    await pollUntil(() => cut().length === 2, 'both slow senders cut for their rate', {
      ms: 12_000,
      intervalMs: 20,
    });
    expect(cut()[0]?.message).toMatch(/under this receiver's minimum of 1000 B\/s/);
    expect(await slow[0]?.read()).toMatchObject({ type: 'error', reason: 'timeout' });
    const [result] = await sendFiles('127.0.0.1', port, [good]);
    expect(result?.status, 'the good client, once the slow ones are cut').toBe('sent');
    expect(log.failed.map((e) => e.status)).toEqual(['disconnected', 'disconnected']);
  });

  it('cannot take every slot from one address (maxSessionsPerPeer)', async () => {
    const dst = await tempDir();
    const { port, log } = await startReceiver({ directory: dst, maxSessionsPerPeer: 2 });
    const held = [await RawFileTransferPeer.connect(port), await RawFileTransferPeer.connect(port)];
    for (const peer of held) await peer.hello();
    const third = await RawFileTransferPeer.connect(port);
    await third.send({ type: 'hello', version: 1 });
    const reply = await third.read();
    expect(reply).toMatchObject({ type: 'error', reason: 'busy' });
    expect((reply as { message: string }).message).toContain('from one address');
    expect(log['session-error'][0]).toMatchObject({ code: 'TCPUDP_ERR_LIMIT_EXCEEDED', limit: 2 });
    held[0]?.wire.close();
    await pollUntil(async () => {
      const again = await RawFileTransferPeer.connect(port);
      await again.send({ type: 'hello', version: 1 });
      const answer = await again.read();
      again.wire.close();
      return answer.type === 'hello';
    }, 'a slot for that address once one of its sessions ends');
  });

  it('share a receiver-wide byte budget (maxBufferedBytes), and all files still arrive', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const { receiver, port } = await startReceiver({
      directory: dst,
      maxBufferedBytes: 64 * 1024,
      highWaterMark: 1024 * 1024,
    });
    const files = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const file = path.join(src, `f${i}.bin`);
        await writeFile(file, seededBytes(40 + i, 1024 * 1024));
        return file;
      }),
    );
    const results = await Promise.all(files.map((f) => sendFiles('127.0.0.1', port, [f])));
    expect(results.map(([r]) => r?.status)).toEqual(['sent', 'sent', 'sent']);
    expect(receiver.bufferedBytes, 'every byte buffered was handed on').toBe(0);
  });
});

/** Just enough of a socket for a FileTransferStream, fed by hand. */
class FakeSocket extends EventEmitter {
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
}

describe('a stream sharing a BufferBudget', () => {
  it('pauses a stream holding bytes while the budget is spent, and resumes it when there is room', async () => {
    const budget = new BufferBudget(100);
    const [a, b] = [new FakeSocket(), new FakeSocket()];
    const streamA = new FileTransferStream(a as unknown as Socket, 64 * 1024, budget);
    const streamB = new FileTransferStream(b as unknown as Socket, 64 * 1024, budget);
    a.emit('data', Buffer.alloc(60));
    expect(a.paused, '60 of 100').toBe(false);
    b.emit('data', Buffer.alloc(60));
    expect(b.paused, '120 of 100: the stream that crossed it stops').toBe(true);
    a.emit('data', Buffer.alloc(10));
    expect(a.paused, 'so does any stream holding bytes').toBe(true);
    expect(budget.used).toBe(130);
    await streamB.body(60, async () => {}, { idleTimeoutMs: 1000 });
    expect(budget.used).toBe(70);
    expect(b.paused, 'a stream holding nothing may read').toBe(false);
    expect(a.paused, 'room again: the waiting stream reads on').toBe(false);
    a.emit('close');
    expect(budget.used, 'what a closed stream held is given back').toBe(0);
    expect(streamA.ended).toBe(true);
  });
});

describe('a body held to a minimum rate (fake clock)', () => {
  const pace = { idleTimeoutMs: 60_000, minBytesPerSecond: 100_000, rateWindowMs: 1000 };
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends a body that trickles under the rate at the end of a window', async () => {
    const socket = new FakeSocket();
    const stream = new FileTransferStream(socket as unknown as Socket, 64 * 1024);
    const body = stream.body(10_000, async () => {}, pace);
    const outcome = body.then(
      () => 'resolved',
      (error: Error) => error,
    );
    for (let i = 0; i < 9; i++) {
      socket.emit('data', Buffer.alloc(1)); // each byte restarts the idle timer, not the window
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(await outcome).toMatchObject({ code: 'TCPUDP_ERR_TIMEOUT', timeoutMs: 1000 });
    expect(String(((await outcome) as Error).message)).toMatch(/at 9 B\/s over 1000 ms/);
  });

  it('does not judge a window in which the receiver itself paused reading (a slow disk)', async () => {
    const socket = new FakeSocket();
    const stream = new FileTransferStream(socket as unknown as Socket, 64 * 1024);
    let release = (): void => {};
    const disk = new Promise<void>((resolve) => {
      release = resolve;
    });
    const body = stream.body(
      128 * 1024,
      async () => {
        await disk;
      },
      pace,
    );
    socket.emit('data', Buffer.alloc(64 * 1024)); // the high-water mark: the stream pauses
    expect(socket.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(5000); // 13 kB/s, but the receiver was not reading
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.paused, 'written: reading again').toBe(false);
    socket.emit('data', Buffer.alloc(64 * 1024));
    await expect(body).resolves.toBeUndefined();
  });
});
