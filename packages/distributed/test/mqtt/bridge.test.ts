import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeService, withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTelemetryClient, type Reading } from '../../src/mqtt/index.ts';

const broker = await probeService('mqtt');

describe.skipIf(broker.skip)('bridging MQTT telemetry into Socket.IO', () => {
  beforeAll(() => broker.require());

  it('relays each reading to the room named after its device, retained value first', async () => {
    const base = `socketlab-test/${randomBytes(6).toString('hex')}`;
    const http = createServer();
    const io = new Server(http);
    onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    io.on('connection', (socket) => {
      socket.on('watch', (device: unknown, ack: () => void) => {
        if (typeof device === 'string' && /^[\w-]{1,32}$/.test(device)) void socket.join(device);
        ack();
      });
    });

    const device = await createTelemetryClient({ url: broker.url, reconnectPeriodMs: 0 });
    onTestFinished(() => device.close());
    await device.publish(`${base}/d1/temp`, 20, { retain: true });
    onTestFinished(() => device.clearRetained(`${base}/d1/temp`));

    const client = connectClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ['websocket'],
    });
    onTestFinished(() => void client.disconnect());
    await client.timeout(5_000).emitWithAck('watch', 'd1');

    // The bridge: any consumer of a TelemetryStream works the same (SSE, a conflating feed).
    const gateway = await createTelemetryClient<number>({ url: broker.url, reconnectPeriodMs: 0 });
    onTestFinished(() => gateway.close());
    const stream = await gateway.stream(`${base}/+/temp`);
    const relay = (async () => {
      for await (const reading of stream)
        io.to(reading.topic.split('/')[2] ?? '').emit('reading', reading);
    })();

    // Events can arrive several per read: collect them with one listener, then await the last.
    const seen: Reading<number>[] = [];
    let onReading: (() => void) | undefined;
    client.on('reading', (reading: Reading<number>) => {
      seen.push(reading);
      onReading?.();
    });
    const until = (count: number, what: string): Promise<void> =>
      withTimeout(
        new Promise<void>((resolve) => {
          onReading = () => seen.length >= count && resolve();
          onReading();
        }),
        what,
      );
    await until(1, 'the retained reading');
    await device.publish(`${base}/d1/temp`, 21);
    await device.publish(`${base}/d2/temp`, 99); // nobody watches d2
    await device.publish(`${base}/d1/temp`, 22);
    await until(3, 'the live readings');
    expect(seen.map((r) => [r.value, r.retained])).toEqual([
      [20, true],
      [21, false],
      [22, false],
    ]);
    await stream.close();
    await relay; // the for-await loop ends with the stream
  });
});
