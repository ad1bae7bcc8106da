/**
 * What notices a dead link, and when: Socket.IO's heartbeat against stage 3's reconnecting client
 * (which has none), over a link that goes silently dead (nothing arrives, nothing closes) and over
 * one that is cut (RST or FIN). No timed assertion: each wait is bounded by a generous watchdog,
 * and "at once" is shown by a heartbeat set far longer than the watchdog.
 */
import { createFramedConnector, createReconnectingClient } from '@socketlab/multiplexing';
import { listenFramedEchoServer, listenImpairedTcpProxy } from '@socketlab/tcp-udp';
import { withTimeout } from '@socketlab/testkit';
import type { Socket as ServerSocket } from 'socket.io';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import {
  heartbeatDetectionWindow,
  heartbeatOptions,
  measureHeartbeat,
} from '../../../src/realtime/index.ts';
import { client, nextIoEvent, startIo, startProxy } from './helpers.ts';

/** pingInterval 100 ms + pingTimeout 200 ms: a dead link is noticed within 300 ms. */
const FAST = heartbeatOptions({ detectWithinMs: 300, timeoutShare: 2 / 3 });
/** A heartbeat that cannot fire within any watchdog of these tests. */
const SLOW = { pingInterval: 60_000, pingTimeout: 60_000 };
/**
 * Far above 300 ms, so a loaded machine never fails a test; still far below SLOW. Under CI, 25 s:
 * with every package's tests beside it, 10 s was once missed there.
 */
const WATCHDOG_MS = process.env.CI === 'true' ? 25_000 : 10_000;
const RECONNECT = { reconnectionDelay: 50, reconnectionDelayMax: 200, timeout: 2000 };

async function framedEcho() {
  const server = await listenFramedEchoServer({ framing: 'length' });
  onTestFinished(() => server.close());
  return (server.address as { port: number }).port;
}

describe("Socket.IO's heartbeat over a silently dead link", () => {
  it('is noticed by both ends through ping timeout, and the client reconnects once the link is back', async () => {
    expect(FAST).toEqual({ pingInterval: 100, pingTimeout: 200 });
    const { io, port } = await startIo(FAST);
    const link = await startProxy(port);
    const serverSide = nextIoEvent<[ServerSocket]>(io, 'connection');
    const socket = client(`http://127.0.0.1:${link.address.port}`, {
      transports: ['websocket'],
      ...RECONNECT,
    });
    await nextIoEvent(socket, 'connect');
    const [peer] = await serverSide;
    expect(await socket.timeout(WATCHDOG_MS).emitWithAck('echo', 'before')).toBe('before');

    const serverNoticed = nextIoEvent<[string]>(peer, 'disconnect', WATCHDOG_MS);
    const clientNoticed = nextIoEvent<[string]>(socket, 'disconnect', WATCHDOG_MS);
    link.stall();
    expect((await clientNoticed)[0]).toBe('ping timeout');
    expect((await serverNoticed)[0]).toBe('ping timeout');

    // Both sockets of the stalled connection are still open: nothing told either end.
    expect(link.stats.cuts).toBe(0);
    const back = nextIoEvent(socket, 'connect', WATCHDOG_MS);
    link.resume(); // the held bytes go through, then the client's next attempt does
    await back;
    expect(await socket.timeout(WATCHDOG_MS).emitWithAck('echo', 'after')).toBe('after');
  });

  it("is never noticed by stage 3's client, which has no heartbeat: its socket still looks connected", async () => {
    // Both clients behind the same switch, so they lose the link at the same moment.
    const { io, port } = await startIo(FAST);
    const echoPort = await framedEcho();
    const ioLink = await startProxy(port);
    const tcpLink = await startProxy(echoPort);
    const serverSide = nextIoEvent<[ServerSocket]>(io, 'connection');
    const socket = client(`http://127.0.0.1:${ioLink.address.port}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    await nextIoEvent(socket, 'connect');
    const [peer] = await serverSide;
    const serverNoticed = nextIoEvent<[string]>(peer, 'disconnect', WATCHDOG_MS);
    const stage3 = createReconnectingClient({
      connect: createFramedConnector({ host: '127.0.0.1', port: tcpLink.address.port }),
      baseDelayMs: 10,
      maxDelayMs: 50,
    });
    onTestFinished(() => stage3.close());
    const disconnects: string[] = [];
    stage3.on('disconnected', ({ reason }) => disconnects.push(reason));
    const firstEcho = nextIoEvent<[Buffer]>(stage3, 'message');
    stage3.start();
    await stage3.send(Buffer.from('ping'));
    expect(String((await firstEcho)[0])).toBe('ping');

    ioLink.stall();
    tcpLink.stall();
    // Socket.IO: both ends notice through ping timeout.
    expect((await nextIoEvent<[string]>(socket, 'disconnect', WATCHDOG_MS))[0]).toBe(
      'ping timeout',
    );
    expect((await serverNoticed)[0]).toBe('ping timeout');
    // Sending still "works": the bytes reach the kernel's buffer, and nothing comes back.
    await withTimeout(
      stage3.send(Buffer.from('into the void')),
      'a send on a stalled link',
      WATCHDOG_MS,
    );
    expect(stage3.state).toBe('connected');
    expect(disconnects).toEqual([]);
    expect(io.engine.clientsCount).toBe(0);

    // Only a cut tells it: at once, with a RST.
    const lost = nextIoEvent<[{ reason: string }]>(stage3, 'disconnected', WATCHDOG_MS);
    const reconnected = nextIoEvent(stage3, 'connected', WATCHDOG_MS);
    expect(tcpLink.cutAll('reset')).toBe(1);
    tcpLink.resume();
    expect((await lost)[0].reason).toBe('connection-error');
    await reconnected;
  });
});

describe("a cut link, through stage 2's impaired proxy", () => {
  it('a RST mid-message is noticed at once by both ends, whatever the heartbeat', async () => {
    const { io, port } = await startIo({ ...SLOW, maxHttpBufferSize: 1e6 });
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port },
      toTarget: { cutAfterBytes: 64 * 1024 },
      cutMode: 'reset',
    });
    onTestFinished(() => proxy.close());
    const serverSide = nextIoEvent<[ServerSocket]>(io, 'connection');
    const socket = client(`http://127.0.0.1:${proxy.address.port}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    await nextIoEvent(socket, 'connect');
    const [peer] = await serverSide;
    const serverNoticed = nextIoEvent<[string]>(peer, 'disconnect', WATCHDOG_MS);
    const clientNoticed = nextIoEvent<[string]>(socket, 'disconnect', WATCHDOG_MS);
    socket.emit('echo', 'x'.repeat(200_000)); // crosses the 64 KiB cut
    expect(['transport close', 'transport error']).toContain((await clientNoticed)[0]);
    expect(['transport close', 'transport error']).toContain((await serverNoticed)[0]);
    expect(proxy.stats.cuts).toBe(1);
  });

  it('a close (FIN) is noticed at once, and the client reconnects through the next proxy', async () => {
    const { io, port } = await startIo(SLOW);
    const proxy = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port } });
    onTestFinished(() => proxy.close()); // closed below; again here if the test fails first
    const proxyPort = proxy.address.port;
    const socket = client(`http://127.0.0.1:${proxyPort}`, {
      transports: ['websocket'],
      ...RECONNECT,
    });
    await nextIoEvent(socket, 'connect');
    const clientNoticed = nextIoEvent<[string]>(socket, 'disconnect', WATCHDOG_MS);
    await proxy.close();
    expect((await clientNoticed)[0]).toBe('transport close');
    // The same port again: the client's backoff finds it.
    const again = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port },
      port: proxyPort,
    });
    onTestFinished(() => again.close());
    await nextIoEvent(socket.io, 'reconnect', WATCHDOG_MS);
    expect(await socket.timeout(WATCHDOG_MS).emitWithAck('echo', 'back')).toBe('back');
    expect(io.engine.clientsCount).toBe(1);
  });

  it("stage 3's client notices a RST at once too, and reconnects", async () => {
    const echoPort = await framedEcho();
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port: echoPort },
      toTarget: { cutAfterBytes: 64 * 1024 },
      cutMode: 'reset',
    });
    onTestFinished(() => proxy.close());
    const stage3 = createReconnectingClient({
      connect: createFramedConnector({ host: '127.0.0.1', port: proxy.address.port }),
      baseDelayMs: 10,
      maxDelayMs: 50,
    });
    onTestFinished(() => stage3.close());
    const connected = nextIoEvent(stage3, 'connected', WATCHDOG_MS);
    stage3.start();
    await connected;
    const lost = nextIoEvent<[{ reason: string }]>(stage3, 'disconnected', WATCHDOG_MS);
    const retrying = nextIoEvent<[{ delayMs: number }]>(stage3, 'retrying', WATCHDOG_MS);
    void stage3.send(Buffer.alloc(200_000)).catch(() => {});
    expect((await lost)[0].reason).toBe('connection-error');
    expect((await retrying)[0].delayMs).toBeLessThanOrEqual(10); // full jitter: [0, baseDelayMs]
    // Each new connection through the proxy is cut only after another 64 KiB: this one stays.
    await nextIoEvent(stage3, 'connected', WATCHDOG_MS);
  });
});

describe('measureHeartbeat on a real connection', () => {
  it("reads each heartbeat's round trip, which includes the link's delay", async () => {
    const { io, port } = await startIo({ pingInterval: 50, pingTimeout: 2000 });
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port },
      delayMs: 20,
    });
    onTestFinished(() => proxy.close());
    const samples: number[] = [];
    const enough = new Promise<void>((resolve) => {
      io.on('connection', (socket) => {
        measureHeartbeat(socket.conn, {
          onRoundTrip: (ms) => {
            samples.push(ms);
            if (samples.length === 3) resolve();
          },
        });
      });
    });
    client(`http://127.0.0.1:${proxy.address.port}`, { transports: ['websocket'] });
    await withTimeout(enough, 'three heartbeats', WATCHDOG_MS);
    // The proxy holds every piece 20 ms each way: no round trip can be shorter than ~40 ms.
    for (const ms of samples) expect(ms).toBeGreaterThanOrEqual(35);
    expect(heartbeatDetectionWindow({ pingInterval: 50, pingTimeout: 2000 }).maxMs).toBe(2050);
  });
});

describe('a client that breaks the heartbeat rules', () => {
  it('a ping from the client (the v3 direction) closes only its own session', async () => {
    const { io, port } = await startIo({ pingInterval: 60_000, pingTimeout: 60_000 });
    const good = client(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
    await nextIoEvent(good, 'connect');
    const reasons: unknown[] = [];
    io.engine.on('connection', (conn: import('node:events').EventEmitter) => {
      conn.on('close', (reason: string, description?: Error) =>
        reasons.push([reason, description?.message]),
      );
    });
    const raw = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    onTestFinished(() => raw.terminate());
    const [open] = await nextIoEvent<[Buffer]>(raw, 'message');
    expect(String(open)).toMatch(/^0\{"sid":/);
    const closed = nextIoEvent<[number]>(raw, 'close', WATCHDOG_MS);
    raw.send('2'); // a v4 server pings; a client never does
    await closed;
    expect(reasons).toEqual([['transport error', 'invalid heartbeat direction']]);
    expect(await good.timeout(WATCHDOG_MS).emitWithAck('echo', 'still here')).toBe('still here');
    expect(io.engine.clientsCount).toBe(1);
  });
});
