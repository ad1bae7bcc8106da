import { once } from 'node:events';
import http from 'node:http';
import { connectTcp, freePort, rejectionOf, withTimeout } from '@socketlab/testkit';
import type { ServerOptions } from 'socket.io';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import {
  connectRealtimeClient,
  createRealtimeServer,
  emitWithAckTimeout,
  REALTIME_SERVER_DEFAULTS,
} from '../../../src/realtime/index.ts';
import { connectClient, startServer } from './harness.ts';
import { connectRawClient } from './raw-client.ts';

/** The options a Server was made with (socket.io keeps them in a field its types call private). */
const optionsOf = (io: object): Partial<ServerOptions> =>
  (io as { opts: Partial<ServerOptions> }).opts;

describe('createRealtimeServer', () => {
  it('applies the safe defaults to socket.io and engine.io', async () => {
    const { io } = await startServer();
    expect(io.engine.opts).toMatchObject({
      pingInterval: 20_000,
      pingTimeout: 10_000,
      maxHttpBufferSize: 65_536,
      httpRequestBodyTimeout: 5_000,
    });
    expect(optionsOf(io).connectTimeout).toBe(10_000);
    expect(optionsOf(io).connectionStateRecovery).toEqual({
      maxDisconnectionDuration: 30_000,
      skipMiddlewares: false,
    });
    expect(io.httpServer).toBeInstanceOf(http.Server);
    expect((io.httpServer as http.Server).requestTimeout).toBe(10_000);
    expect(REALTIME_SERVER_DEFAULTS.connectTimeout).toBe(10_000);
  });

  it('lets each default be overridden, recovery field by field, and attaches to a given server', async () => {
    const httpServer = http.createServer();
    const io = createRealtimeServer({
      httpServer,
      pingInterval: 5_000,
      connectionStateRecovery: { maxDisconnectionDuration: 1_000 },
    });
    onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
    expect(io.httpServer).toBe(httpServer);
    expect(io.engine.opts.pingInterval).toBe(5_000);
    expect(optionsOf(io).connectionStateRecovery).toEqual({
      maxDisconnectionDuration: 1_000,
      skipMiddlewares: false,
    });
  });

  it.each([
    ['maxHttpBufferSize', 0],
    ['connectTimeout', -1],
    ['pingInterval', Number.NaN],
    ['pingTimeout', 0],
  ])('refuses %s = %s with a RangeError', (name, value) => {
    expect(() => createRealtimeServer({ [name]: value })).toThrow(RangeError);
  });

  it('drops a client that opens a transport but never joins a namespace, after connectTimeout', async () => {
    const { port } = await startServer({ connectTimeout: 200 });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    onTestFinished(() => ws.terminate());
    const [open] = await withTimeout(once(ws, 'message'), 'the open packet');
    expect(String(open)).toMatch(/^0\{"sid":/);
    // Never sends `40`: the server closes the connection (socket.io's default waits 45 s).
    await withTimeout(once(ws, 'close'), 'the server to drop the silent client', 5_000);
  });

  it('answers 408 to a long-polling body that trickles past httpRequestBodyTimeout', async () => {
    const { io, port } = await startServer({ httpRequestBodyTimeout: 200 });
    // Open an Engine.IO session over long-polling: the body of this GET is the open packet.
    const open = await withTimeout(
      fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`).then((r) => r.text()),
      'the polling open packet',
    );
    const sid = /"sid":"([^"]+)"/.exec(open)?.[1];
    expect(sid, open).toBeDefined();
    // A POST that promises 100 bytes and sends 2 of them (a slow-loris body).
    const socket = await connectTcp(port);
    onTestFinished(() => {
      socket.destroy();
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.write(
      `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 100\r\n\r\n40',
    );
    await withTimeout(once(socket, 'close'), 'the server to give up on the body', 5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(io.engine.clientsCount, 'the stalled session is closed too').toBe(0);
  });

  it('closes a connection whose message passes maxHttpBufferSize; the others are unaffected', async () => {
    const { io, port, url } = await startServer({ maxHttpBufferSize: 1_024 });
    io.on('connection', (socket) => socket.on('room:join', (_r, ack) => ack({ members: 1 })));
    const good = await connectClient(url);
    const hostile = await connectRawClient(port);
    const closed = hostile.next(() => false, 'never').catch(() => 'closed');
    hostile.send(`42["chat:send",{"room":"r","text":"${'x'.repeat(2_000)}"}]`);
    await expect(emitWithAckTimeout(good, 2_000, 'room:join', 'r')).resolves.toEqual({
      members: 1,
    });
    void closed;
    await expect.poll(() => io.engine.clientsCount, { timeout: 5_000 }).toBe(1);
  });
});

describe('connectRealtimeClient', () => {
  it('rejects with the transport error when nothing listens, and leaves nothing open', async () => {
    const port = await freePort();
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const err = await rejectionOf(
      connectRealtimeClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] }),
      'connecting to a closed port',
    );
    expect(err.message).toMatch(/websocket error/);
    // No reconnection timer left behind: the socket was closed, not left retrying.
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
