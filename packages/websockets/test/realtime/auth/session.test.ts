import { ManualClock, nextEvent, withTimeout } from '@socketlab/testkit';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { RealtimeError } from '../../../src/realtime/errors.ts';
import {
  AUTH_EXPIRED_EVENT,
  AUTH_REFRESH_EVENT,
  generateApiKey,
  hashApiKey,
  refreshToken,
} from '../../../src/realtime/index.ts';
import { client, hsOptions, hsToken, outcome, startAuthServer } from './harness.ts';

/** A round trip to the server: proves the connection is still up and everything sent before has been read. */
const whoami = (socket: ClientSocket): Promise<unknown> =>
  socket.timeout(5000).emitWithAck('whoami');

async function refusalOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeError);
    return `${(error as RealtimeError).code} ${(error as RealtimeError).data.reason}`;
  }
}

describe('a token that expires while connected (system clock)', () => {
  it('is told auth:expired, then disconnected by the server', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    const exp = Math.ceil((Date.now() + 1500) / 1000); // expires in 1.5 to 2.5 s: time to connect, even under load
    const socket = client(url, { auth: { token: await hsToken({ exp }) } });
    expect(await outcome(socket)).toBe('connected');
    const expired = nextEvent<[{ code: string; reason: string }]>(
      socket as never,
      AUTH_EXPIRED_EVENT,
      5000,
    );
    const disconnected = nextEvent<[string]>(socket as never, 'disconnect', 5000);
    const [notice] = await expired;
    expect(notice).toMatchObject({ code: 'REALTIME_ERR_AUTH', reason: 'expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000); // never before the token's exp
    expect((await disconnected)[0]).toBe('io server disconnect');
  });

  it('moves the deadline when a fresh token is sent with auth:refresh', async () => {
    const { url } = await startAuthServer({ jwt: hsOptions });
    const firstExp = Math.ceil((Date.now() + 1500) / 1000); // 1.5 to 2.5 s from now
    const socket = client(url, { auth: { token: await hsToken({ exp: firstExp }) } });
    expect(await outcome(socket)).toBe('connected');
    const expired = nextEvent(socket as never, AUTH_EXPIRED_EVENT, 8000);
    const refreshedExp = firstExp + 2;
    expect(await refreshToken(socket, await hsToken({ exp: refreshedExp }))).toBe(
      refreshedExp * 1000,
    );
    await expired;
    expect(Date.now()).toBeGreaterThanOrEqual(refreshedExp * 1000); // the first exp did not end it
  });
});

describe('expiry and refresh on an injected clock', () => {
  async function setUp(exp = 60): Promise<{ clock: ManualClock; socket: ClientSocket }> {
    const clock = new ManualClock(); // now() starts at 0 ms: tokens are signed for that
    const { url } = await startAuthServer({ jwt: hsOptions, clock, apiKeys: new Map() });
    const socket = client(url, { auth: { token: await hsToken({ exp }, 0) } });
    expect(await outcome(socket)).toBe('connected');
    return { clock, socket };
  }

  it('arms one timer per connection at exp, and fires it exactly then', async () => {
    const { clock, socket } = await setUp(60);
    expect(clock.pending).toBe(1);
    clock.advance(59_999);
    expect(await whoami(socket)).toMatchObject({ subject: 'ada', expiresAt: 60_000 });
    const disconnected = nextEvent<[string]>(socket as never, 'disconnect');
    clock.advance(1);
    expect((await disconnected)[0]).toBe('io server disconnect');
    expect(clock.pending).toBe(0);
  });

  it('gives the same clock tolerance as the handshake did', async () => {
    const clock = new ManualClock();
    const { url } = await startAuthServer({
      jwt: { ...hsOptions, clockToleranceSeconds: 30 },
      clock,
    });
    const socket = client(url, { auth: { token: await hsToken({ exp: 60 }, 0) } });
    expect(await outcome(socket)).toBe('connected');
    clock.advance(89_999);
    expect(await whoami(socket)).toMatchObject({ expiresAt: 60_000 });
    const disconnected = nextEvent<[string]>(socket as never, 'disconnect');
    clock.advance(1);
    expect((await disconnected)[0]).toBe('io server disconnect');
  });

  it('clears the timer when the client leaves first', async () => {
    const clock = new ManualClock();
    const { io, url } = await startAuthServer({ jwt: hsOptions, clock });
    const socket = client(url, { auth: { token: await hsToken({}, 0) } });
    expect(await outcome(socket)).toBe('connected');
    expect(clock.pending).toBe(1);
    const [serverSocket] = await io.fetchSockets();
    const left = withTimeout(
      new Promise((resolve) =>
        io.sockets.sockets.get(serverSocket?.id ?? '')?.once('disconnect', resolve),
      ),
      'the server to see the client leave',
    );
    socket.disconnect();
    await left;
    expect(clock.pending).toBe(0);
  });

  it('arms no timer for an API-key connection', async () => {
    const clock = new ManualClock();
    const apiKey = generateApiKey();
    const { url } = await startAuthServer({
      jwt: hsOptions,
      clock,
      apiKeys: new Map([[hashApiKey(apiKey), { subject: 'bot' }]]),
    });
    expect(await outcome(client(url, { auth: { apiKey } }))).toBe('connected');
    expect(clock.pending).toBe(0);
  });

  it('keeps a refreshed connection open until the new exp', async () => {
    const { clock, socket } = await setUp(60);
    expect(await refreshToken(socket, await hsToken({ exp: 120 }, 0))).toBe(120_000);
    expect(clock.pending).toBe(1);
    clock.advance(60_000);
    expect(await whoami(socket)).toMatchObject({ expiresAt: 120_000 });
    const expired = nextEvent(socket as never, AUTH_EXPIRED_EVENT);
    clock.advance(60_000);
    await expired;
  });

  it('refuses a refresh for another subject, an expired token, another audience and garbage, and stays connected', async () => {
    const { clock, socket } = await setUp(60);
    clock.advance(10_000);
    expect(
      await refusalOf(refreshToken(socket, await hsToken({ sub: 'mallory', exp: 600 }, 0))),
    ).toBe('REALTIME_ERR_AUTH subject-changed');
    expect(await refusalOf(refreshToken(socket, await hsToken({ exp: 5 }, 0)))).toBe(
      'REALTIME_ERR_AUTH expired',
    );
    expect(
      await refusalOf(refreshToken(socket, await hsToken({ aud: 'billing', exp: 600 }, 0))),
    ).toBe('REALTIME_ERR_AUTH wrong-audience');
    expect(await refusalOf(refreshToken(socket, 'garbage'))).toBe('REALTIME_ERR_AUTH malformed');
    socket.emit(AUTH_REFRESH_EVENT, { not: 'a token' }); // no ack: ignored
    expect(await whoami(socket)).toMatchObject({ subject: 'ada', expiresAt: 60_000 });
  });

  it('reports no answer in time as REALTIME_ERR_ACK_TIMEOUT', async () => {
    const clock = new ManualClock();
    // A server without jwt refresh: auth:refresh goes unanswered.
    const apiKey = generateApiKey();
    const { url } = await startAuthServer({
      clock,
      apiKeys: new Map([[hashApiKey(apiKey), { subject: 'bot' }]]),
    });
    const socket = client(url, { auth: { apiKey } });
    expect(await outcome(socket)).toBe('connected');
    expect(await refusalOf(refreshToken(socket, 'x', 100))).toMatch(/^REALTIME_ERR_ACK_TIMEOUT /);
  });
});
