/**
 * W13: long polling behind a balancer. One Engine.IO session is many HTTP requests; only the
 * server that answered the handshake knows its sid. Round robin sends the next request elsewhere
 * (400 "Session ID unknown"); routing by the sid (stickyRouteKey) keeps a session on its server.
 */
import type http from 'node:http';
import type { Socket as ServerSocket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { stickyRouteKey } from '../../../src/realtime/index.ts';
import { client, nextIoEvent, startIo } from './helpers.ts';
import { type ProxiedResponse, startHttpProxy } from './http-proxy.ts';

const WATCHDOG_MS = 10_000;

/** The sid in a polling handshake answer (`0{"sid":…}`), if this response is one. */
function issuedSid(response: ProxiedResponse): string | undefined {
  if (response.status !== 200 || !response.body.startsWith('0{')) return undefined;
  try {
    const open = JSON.parse(response.body.slice(1)) as { sid?: unknown };
    return typeof open.sid === 'string' ? open.sid : undefined;
  } catch {
    return undefined;
  }
}

async function twoServers() {
  const a = await startIo({ pingInterval: 2000, pingTimeout: 5000 });
  const b = await startIo({ pingInterval: 2000, pingTimeout: 5000 });
  return [a, b] as const;
}

describe('long polling behind a round-robin balancer', () => {
  it('without sticky sessions, the next request lands on a server that does not know the sid', async () => {
    const servers = await twoServers();
    const proxy = await startHttpProxy({
      backends: servers.map((s) => s.port),
      allowUpgrade: true,
    });
    const socket = client(`http://127.0.0.1:${proxy.port}`, {
      transports: ['polling'],
      reconnection: false,
    });
    const failed = Promise.race([
      nextIoEvent<[unknown]>(socket, 'connect_error', WATCHDOG_MS),
      nextIoEvent<[unknown]>(socket, 'disconnect', WATCHDOG_MS),
    ]);
    await failed;
    expect(socket.connected).toBe(false);
    const unknown = proxy.responses.find((r) => r.status === 400);
    expect(unknown, JSON.stringify(proxy.responses, null, 1)).toBeDefined();
    expect(JSON.parse(unknown?.body ?? '{}')).toEqual({ code: 1, message: 'Session ID unknown' });
    // The handshake went to one server, the request that failed to the other.
    expect(issuedSid(proxy.responses[0] as ProxiedResponse)).toBeDefined();
    expect(unknown?.backend).not.toBe(proxy.responses[0]?.backend);
  });

  it('with routing by sid, every client stays on the server that issued its sid and works', async () => {
    const servers = await twoServers();
    const owner = new Map<string, number>();
    const route = (request: http.IncomingMessage, next: () => number): number => {
      const sid = stickyRouteKey(request);
      const known = sid === undefined ? undefined : owner.get(sid);
      return known ?? next(); // a handshake (or an unknown sid): any server
    };
    const proxy = await startHttpProxy({
      backends: servers.map((s) => s.port),
      allowUpgrade: true,
      route,
      onResponse: (response) => {
        const sid = issuedSid(response);
        if (sid !== undefined) owner.set(sid, response.backend);
      },
    });
    const peers = servers.map(({ io }) =>
      nextIoEvent<[ServerSocket]>(io, 'connection', WATCHDOG_MS),
    );
    const url = `http://127.0.0.1:${proxy.port}`;
    const sockets = [
      client(url, { transports: ['polling'], reconnection: false }),
      client(url, { transports: ['polling'], reconnection: false }),
    ];
    for (const socket of sockets) await nextIoEvent(socket, 'connect', WATCHDOG_MS);
    await Promise.all(peers); // one client on each server
    for (const socket of sockets) {
      for (let i = 0; i < 5; i++) {
        expect(await socket.timeout(WATCHDOG_MS).emitWithAck('echo', i)).toBe(i);
      }
      expect(socket.io.engine.transport.name).toBe('polling');
    }
    expect(proxy.responses.filter((r) => r.status !== 200)).toEqual([]);
    // Every request that carried a sid went to the backend that issued it.
    for (const response of proxy.responses) {
      const sid = new URL(response.url, 'http://x').searchParams.get('sid');
      if (sid !== null) expect(response.backend).toBe(owner.get(sid));
    }
  });

  it('the upgrade request carries the sid too, so the same routing moves the session to websocket', async () => {
    const servers = await twoServers();
    const owner = new Map<string, number>();
    const proxy = await startHttpProxy({
      backends: servers.map((s) => s.port),
      allowUpgrade: true,
      route: (request, next) => owner.get(stickyRouteKey(request) ?? '') ?? next(),
      onResponse: (response) => {
        const sid = issuedSid(response);
        if (sid !== undefined) owner.set(sid, response.backend);
      },
    });
    const socket = client(`http://127.0.0.1:${proxy.port}`, { reconnection: false });
    await nextIoEvent(socket, 'connect', WATCHDOG_MS);
    await nextIoEvent(socket.io.engine, 'upgrade', WATCHDOG_MS);
    expect(socket.io.engine.transport.name).toBe('websocket');
    expect(proxy.upgrades).toEqual([owner.get(socket.io.engine.id)]);
    expect(await socket.timeout(WATCHDOG_MS).emitWithAck('echo', 'ws')).toBe('ws');
  });
});
