/**
 * W13: a client whose WebSocket upgrade is refused by a proxy on the way falls back to HTTP long
 * polling and keeps working; with the upgrade allowed, it moves to WebSocket.
 */
import type { Socket as ServerSocket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { client, nextIoEvent, startIo } from './helpers.ts';
import { startHttpProxy } from './http-proxy.ts';

const WATCHDOG_MS = 10_000;

/** Events both ways, each acknowledged: client → server `echo`, server → client `hello`. */
async function exchange(socket: ClientSocket, peer: ServerSocket): Promise<void> {
  socket.on('hello', (value: number, ack: (reply: number) => void) => ack(value + 1));
  expect(await socket.timeout(WATCHDOG_MS).emitWithAck('echo', { n: 1, text: 'é ✓' })).toEqual({
    n: 1,
    text: 'é ✓',
  });
  expect(await peer.timeout(WATCHDOG_MS).emitWithAck('hello', 41)).toBe(42);
  const binary = await socket.timeout(WATCHDOG_MS).emitWithAck('echo', Buffer.from([0, 1, 255]));
  expect(Buffer.from(binary as Uint8Array)).toEqual(Buffer.from([0, 1, 255]));
}

async function setUp(allowUpgrade: boolean) {
  const { io, port } = await startIo({ pingInterval: 2000, pingTimeout: 5000 });
  const proxy = await startHttpProxy({ backends: [port], allowUpgrade });
  const serverSide = nextIoEvent<[ServerSocket]>(io, 'connection', WATCHDOG_MS);
  return { io, proxy, url: `http://127.0.0.1:${proxy.port}`, serverSide };
}

describe('a proxy that refuses the WebSocket upgrade', () => {
  it('websocket first with tryAllTransports: the client falls back to long polling and works', async () => {
    const { proxy, url, serverSide } = await setUp(false);
    const socket = client(url, { transports: ['websocket', 'polling'], tryAllTransports: true });
    await nextIoEvent(socket, 'connect', WATCHDOG_MS);
    const [peer] = await serverSide;
    expect(socket.io.engine.transport.name).toBe('polling');
    expect(peer.conn.transport.name).toBe('polling');
    expect(proxy.refusedUpgrades).toBeGreaterThanOrEqual(1);
    await exchange(socket, peer);
    expect(socket.io.engine.transport.name).toBe('polling');
    expect(proxy.responses.some((r) => r.method === 'POST' && r.status === 200)).toBe(true);
  });

  it('websocket first without tryAllTransports: the client never connects', async () => {
    const { proxy, url } = await setUp(false);
    const socket = client(url, { transports: ['websocket', 'polling'], reconnection: false });
    const [error] = await nextIoEvent<[Error]>(socket, 'connect_error', WATCHDOG_MS);
    expect(error.message).toBe('websocket error');
    expect(proxy.refusedUpgrades).toBe(1);
    expect(proxy.responses).toEqual([]);
  });

  it('the default path (polling, then an upgrade): the probe fails and the client stays on polling', async () => {
    const { proxy, url, serverSide } = await setUp(false);
    const socket = client(url);
    // The engine exists as soon as io() returns: listen before the probe can fail.
    const upgradeFailed = nextIoEvent<[Error]>(socket.io.engine, 'upgradeError', WATCHDOG_MS);
    await nextIoEvent(socket, 'connect', WATCHDOG_MS);
    const [peer] = await serverSide;
    const [error] = await upgradeFailed;
    expect(error.message).toMatch(/^probe error/);
    expect(proxy.refusedUpgrades).toBe(1);
    expect(socket.io.engine.transport.name).toBe('polling');
    await exchange(socket, peer);
    expect(peer.conn.transport.name).toBe('polling');
  });
});

describe('a proxy that forwards the upgrade', () => {
  it('the default path upgrades from polling to websocket, and events flow across the switch', async () => {
    const { proxy, url, serverSide } = await setUp(true);
    const socket = client(url);
    await nextIoEvent(socket, 'connect', WATCHDOG_MS);
    expect(socket.io.engine.transport.name).toBe('polling');
    const [peer] = await serverSide;
    const serverUpgraded = nextIoEvent(peer.conn, 'upgrade', WATCHDOG_MS);
    await nextIoEvent(socket.io.engine, 'upgrade', WATCHDOG_MS);
    await serverUpgraded;
    expect(socket.io.engine.transport.name).toBe('websocket');
    expect(peer.conn.transport.name).toBe('websocket');
    expect(proxy.upgrades).toEqual([0]);
    await exchange(socket, peer);
  });

  it('websocket first with tryAllTransports connects on websocket directly', async () => {
    const { proxy, url, serverSide } = await setUp(true);
    const socket = client(url, { transports: ['websocket', 'polling'], tryAllTransports: true });
    await nextIoEvent(socket, 'connect', WATCHDOG_MS);
    const [peer] = await serverSide;
    expect(socket.io.engine.transport.name).toBe('websocket');
    expect(proxy.responses).toEqual([]); // no polling request at all
    await exchange(socket, peer);
  });
});
