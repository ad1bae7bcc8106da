/**
 * A client that pushes 100 MB without a newline, as fast as TCP lets it, and ignores what the
 * server says: it gets the error line, the server holds at most maxLineBytes of it, and it is
 * stopped (its writes fail) long before 100 MB are out. Nobody else loses a line.
 */
import { once } from 'node:events';
import net from 'node:net';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RoomChatMember } from '../../src/chat/index.ts';
import type { ManagedConnection } from '../../src/index.ts';
import { join, startChat } from './chat.ts';

const TOTAL = 100 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61); // 'a', never a newline

/** Writes CHUNK until `TOTAL` bytes are out or the socket fails; resolves with the bytes written. */
async function pushWithoutNewline(socket: net.Socket, sample: () => void): Promise<number> {
  let pushed = 0;
  let failed = false;
  const fail = (): void => {
    failed = true;
  };
  socket.on('error', fail);
  socket.on('close', fail);
  while (!failed && pushed < TOTAL) {
    pushed += CHUNK.length;
    sample();
    if (!socket.write(CHUNK)) {
      // Wait for room, or for the server to cut us: the loop is bounded by TOTAL either way.
      await withTimeout(
        new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        }),
        'drain or close while pushing',
        20_000,
      );
    }
  }
  return pushed;
}

describe('a client that sends 100 MB without a newline', () => {
  it('is told, closed past maxLineBytes and stopped early; the server holds at most the limit', async () => {
    const maxLineBytes = 4096;
    // The default close deadline (2 s): the client must be stopped by the server, not by the clock.
    const chat = await startChat({ maxLineBytes, closeTimeoutMs: 2000 });
    const other = await join(chat.address.port);
    // allowHalfOpen: it ignores the server's FIN too and keeps writing, as a hostile peer would.
    const hostile = net.connect({
      host: '127.0.0.1',
      port: chat.address.port,
      allowHalfOpen: true,
    });
    onTestFinished(() => {
      hostile.destroy();
    });
    await withTimeout(once(hostile, 'connect'), 'the hostile connection');
    let told = '';
    hostile.on('data', (chunk: Buffer) => {
      told += chunk.toString('utf8');
    });
    await pollUntil(() => chat.manager.size === 2, 'both admitted');
    const member = [...chat.manager.connections].at(-1) as ManagedConnection<RoomChatMember>;
    expect(await other.client.readLine()).toBe(`* ${member.metadata.nick} joined #lobby`);

    let maxPendingLine = 0;
    let maxHeld = 0;
    const pushed = await pushWithoutNewline(hostile, () => {
      maxPendingLine = Math.max(maxPendingLine, chat.pendingLineBytes(member));
      maxHeld = Math.max(maxHeld, member.bufferedBytes);
    });
    await pollUntil(() => member.state === 'closed', 'the server to close it', { ms: 10_000 });

    expect(told).toContain(
      `! MULTIPLEXING_ERR_LIMIT_EXCEEDED line too long (over ${maxLineBytes} bytes, maxLineBytes); closing your connection\n`,
    );
    expect(member.state).toBe('closed');
    // The server's own accounting: the unfinished line never passed the limit, nothing piled up
    // for it outbound, and its writes were refused after a few kernel buffers' worth, not 100 MB.
    expect(maxPendingLine).toBeLessThanOrEqual(maxLineBytes);
    expect(maxHeld).toBeLessThanOrEqual(chat.manager.options.maxBufferedBytes);
    expect(pushed).toBeLessThan(TOTAL / 4);
    console.info(
      `endless line: the hostile client pushed ${pushed} bytes before its writes failed`,
    );

    expect(await other.client.readLine()).toBe(
      `* ${member.metadata.nick} left #lobby (line too long)`,
    );
    const third = await join(chat.address.port);
    await third.client.send('after the storm\n');
    expect(await other.client.readLine()).toBe(`* ${third.nick} joined #lobby`);
    expect(await other.client.readLine()).toBe(`<${third.nick}> after the storm`);
  }, 30_000);
});
