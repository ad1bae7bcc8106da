/**
 * A client of `socketlab-mux echo` that sends and sends and never reads its echoes. An echo
 * cannot drop echoes (it would lie), so once the server holds the high-water mark for it, it is
 * told MULTIPLEXING_ERR_SLOW_CONSUMER and closed; the server never holds more than the mark for
 * it, and a well-behaved client gets every echo meanwhile.
 */
import { once } from 'node:events';
import net from 'node:net';
import { connectFramed, lineCodec } from '@socketlab/tcp-udp';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenManagedEcho } from '../../src/cli/echo.ts';

describe('an echo client that never reads its echoes', () => {
  it('is disconnected at the high-water mark; the server holds no more; others get every echo', async () => {
    const maxBufferedBytes = 256 * 1024;
    const { manager, address } = await listenManagedEcho({
      codec: lineCodec(),
      host: '127.0.0.1',
      port: 0,
      manager: { maxBufferedBytes, closeTimeoutMs: 500 },
    });
    onTestFinished(async () => {
      await manager.shutdown({ closeTimeoutMs: 200 });
    });
    let maxHeld = 0;
    manager.on('connection', (conn) => {
      conn.on('message', () => {
        maxHeld = Math.max(maxHeld, conn.bufferedBytes);
      });
    });
    const closes: string[] = [];
    const errors: Error[] = [];
    manager.on('close', (_conn, reason, error) => {
      closes.push(reason);
      if (error !== undefined) errors.push(error);
    });

    const reader = await connectFramed(
      { host: '127.0.0.1', port: address.port },
      { codec: lineCodec() },
    );
    onTestFinished(() => reader.destroy());
    const stalled = net.connect({ host: '127.0.0.1', port: address.port });
    onTestFinished(() => {
      stalled.destroy();
    });
    stalled.on('error', () => {});
    await withTimeout(once(stalled, 'connect'), 'the stalled connection');
    stalled.pause(); // never reads a byte

    // 8 KiB lines until the server gives up on it (bounded: 64 MiB), writing only when the
    // socket has room, and one echo round trip for the reader every 64 lines.
    const line = Buffer.from(`${'x'.repeat(8 * 1024 - 1)}\n`);
    let sent = 0;
    let echoed = 0;
    for (let i = 0; i < 8 * 1024 && closes.length === 0 && !stalled.destroyed; i++) {
      if (!stalled.write(line)) {
        // once() rejects on 'error': the server resetting a client it gave up on (ECONNRESET on
        // this write) is an end of the wait like a close; the assertions below say why it ended.
        await withTimeout(
          Promise.race([once(stalled, 'drain'), once(stalled, 'close')]).catch(() => undefined),
          'room, a close or a reset',
          20_000,
        );
      }
      sent += line.length;
      if (i % 64 === 0) {
        await reader.send(Buffer.from(`ping ${i}`));
        expect((await withTimeout(reader.read(), 'an echo', 10_000))?.toString()).toBe(`ping ${i}`);
        echoed++;
      }
    }
    await pollUntil(() => closes.length > 0, 'the stalled client closed', { ms: 10_000 });
    expect(closes).toEqual(['slow-consumer']);
    expect(errors[0]?.message).toMatch(/reads too slowly: \d+ bytes were already waiting for it/);
    expect(maxHeld).toBeLessThanOrEqual(maxBufferedBytes);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(manager.size).toBe(1);
    expect(echoed).toBeGreaterThan(0);
    await reader.send(Buffer.from('after'));
    expect((await reader.read())?.toString()).toBe('after');
  }, 60_000);
});
