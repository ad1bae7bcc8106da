import { ManualClock, withTimeout } from '@socketlab/testkit';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import {
  createFloodGuard,
  FLOOD_GUARD_DEFAULTS,
  type FloodGuardOptions,
  type FloodViolation,
  floodGuardServerOptions,
  type RealtimeError,
} from '../../../src/realtime/index.ts';
import { connectClient, expectEchoWorks, nextDisconnect, startIo } from './harness.ts';

/** A guarded echo server; `join` joins a room through the guard and acks `{ ok }` or `{ error }`. */
async function startGuarded(options: FloodGuardOptions) {
  const violations: FloodViolation[] = [];
  const guard = createFloodGuard({ ...options, onViolation: (v) => violations.push(v) });
  const handled: string[] = [];
  const started = await startIo(floodGuardServerOptions(), (io) => {
    guard.install(io);
    io.on('connection', (socket) => {
      socket.on('echo', (value: unknown, ack?: (v: unknown) => void) => {
        handled.push(socket.id ?? '');
        ack?.(value);
      });
      socket.on('join', (room: string, ack: (v: unknown) => void) => {
        try {
          guard.join(socket, room);
          ack({ ok: true });
        } catch (error) {
          ack({ error: (error as RealtimeError).data });
        }
      });
    });
  });
  return { ...started, guard, violations, handled };
}

function realtimeErrors(client: ClientSocket): Array<{ code: string; reason: string }> {
  const seen: Array<{ code: string; reason: string }> = [];
  client.on('realtime:error', (e: { code: string; reason: string }) => seen.push(e));
  return seen;
}

describe('createFloodGuard on real sockets', () => {
  it('throttles a flooding client, then disconnects it with a reason it can read; others keep their echo', async () => {
    // The clock never moves: exactly `eventBurst` events pass, whatever the machine's speed.
    const clock = new ManualClock();
    const server = await startGuarded({ eventBurst: 5, eventsPerSecond: 1, strikeLimit: 3, clock });
    const good = await connectClient(server.url);
    const flooder = await connectClient(server.url);
    const errors = realtimeErrors(flooder);
    const disconnected = nextDisconnect(flooder);
    const answers: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      flooder.emit('echo', i, (answer: unknown) => answers.push(answer));
    }
    expect(await disconnected).toBe('io server disconnect');
    expect(errors).toEqual([
      { code: 'REALTIME_ERR_RATE_LIMITED', reason: expect.stringContaining('kept on') },
    ]);
    // 5 allowed, 3 throttled with an ack error, the 4th drop disconnects; the rest are never
    // read. The allowed events' handlers run a tick after the guard's verdicts (socket.io
    // dispatches on nextTick), so when all 20 arrive in one read, their acks may meet a closed
    // socket: only the error acks, answered at once, are sure to come back.
    const refusals = answers.filter((a) => typeof a === 'object');
    expect(refusals).toEqual(
      Array(3).fill({
        error: { code: 'REALTIME_ERR_RATE_LIMITED', reason: expect.stringMatching(/^slow down/) },
      }),
    );
    expect(answers.filter((a) => typeof a === 'number').every((a) => (a as number) < 5)).toBe(true);
    expect(server.violations.map((v) => v.kind)).toEqual([
      'throttled',
      'throttled',
      'throttled',
      'disconnected',
    ]);
    await expectEchoWorks(good);
    await withTimeout(
      (async () => {
        while (server.io.engine.clientsCount !== 1) await new Promise((r) => setImmediate(r));
      })(),
      'the flooder to leave the engine',
    );
    expect(server.guard.stats()).toMatchObject({
      sockets: 1,
      eventsDropped: 4,
      socketsDisconnected: 1,
    });
  });

  it('forgives strikes over time: a client that slows down is never disconnected', async () => {
    const clock = new ManualClock();
    const server = await startGuarded({
      eventBurst: 2,
      eventsPerSecond: 1,
      strikeLimit: 2,
      strikesForgivenPerSecond: 1,
      clock,
    });
    const client = await connectClient(server.url);
    const results: unknown[] = [];
    for (let round = 0; round < 5; round++) {
      // 4 events at once: 2 pass, 2 are throttled (2 strikes, the limit), then 2 s pass.
      for (let i = 0; i < 4; i++) results.push(await client.timeout(5_000).emitWithAck('echo', i));
      clock.advance(2_000);
    }
    expect(client.connected).toBe(true);
    expect(results.filter((r) => typeof r === 'object').length).toBe(10);
  });

  it('refuses connections past the per-address rate with connect_error REALTIME_ERR_RATE_LIMITED', async () => {
    const clock = new ManualClock();
    const server = await startGuarded({ connectionBurst: 2, connectionsPerSecond: 1, clock });
    await connectClient(server.url);
    await connectClient(server.url);
    const refused = await connectClient(server.url).then(
      () => undefined,
      (err: Error & { data?: unknown }) => err,
    );
    expect(refused?.message).toMatch(/too many connections from 127\.0\.0\.1/);
    expect(refused?.data).toEqual({
      code: 'REALTIME_ERR_RATE_LIMITED',
      reason: expect.stringMatching(/^too many connections: retry in 1000 ms/),
    });
    clock.advance(1_000);
    await connectClient(server.url);
    expect(server.guard.stats()).toMatchObject({ connectionsRefused: 1 });
  });

  it('limits the rooms a socket joins through the guard', async () => {
    const server = await startGuarded({ maxRoomsPerSocket: 2 });
    const client = await connectClient(server.url);
    const join = (room: string) => client.timeout(5_000).emitWithAck('join', room);
    expect(await join('a')).toEqual({ ok: true });
    expect(await join('b')).toEqual({ ok: true });
    expect(await join('a')).toEqual({ ok: true }); // already in: no new room
    expect(await join('c')).toEqual({
      error: { code: 'REALTIME_ERR_LIMIT', reason: expect.stringContaining('2 rooms') },
    });
    const [socket] = await server.io.fetchSockets();
    expect([...(socket?.rooms ?? [])].sort()).toEqual([client.id, 'a', 'b'].sort());
  });

  it('disconnects a sender of a payload nested past maxPayloadDepth before any handler sees it', async () => {
    const server = await startGuarded({ maxPayloadDepth: 8 });
    const good = await connectClient(server.url);
    const hostile = await connectClient(server.url);
    const errors = realtimeErrors(hostile);
    const disconnected = nextDisconnect(hostile);
    let deep: unknown = 'x';
    for (let i = 0; i < 9; i++) deep = [deep];
    hostile.emit('echo', deep);
    expect(await disconnected).toBe('io server disconnect');
    expect(errors).toEqual([
      { code: 'REALTIME_ERR_PAYLOAD', reason: expect.stringContaining('deeper than 8 levels') },
    ]);
    expect(server.handled).toEqual([]);
    let ok: unknown = 'x';
    for (let i = 0; i < 7; i++) ok = [ok];
    await expectEchoWorks(good, ok); // 8 levels with the argument list: allowed
  });

  it('sizes the server: maxHttpBufferSize and connectTimeout, with defaults', () => {
    expect(floodGuardServerOptions()).toEqual({
      maxHttpBufferSize: 65_536,
      connectTimeout: 10_000,
    });
    expect(floodGuardServerOptions({ maxPayloadBytes: 1_024, connectTimeoutMs: 500 })).toEqual({
      maxHttpBufferSize: 1_024,
      connectTimeout: 500,
    });
    expect(() => floodGuardServerOptions({ maxPayloadBytes: 0 })).toThrow(RangeError);
  });

  it.each([
    'eventsPerSecond',
    'eventBurst',
    'strikeLimit',
    'maxRoomsPerSocket',
    'maxPayloadDepth',
    'connectionBurst',
  ] as const)('refuses %s: 0 with a RangeError', (name) => {
    expect(() => createFloodGuard({ [name]: 0 })).toThrow(RangeError);
  });

  it('has documented defaults', () => {
    expect(FLOOD_GUARD_DEFAULTS).toMatchObject({
      eventsPerSecond: 20,
      eventBurst: 40,
      strikeLimit: 20,
      errorEvent: 'realtime:error',
    });
  });
});
