import type { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { createFloodGuard, floodGuardServerOptions } from '../../../src/realtime/index.ts';
import { connectClient, echoLatencies, percentile, startIo } from './harness.ts';

// Other clients' latency, with and without a flooder. The stage 3 load generator
// (@socketlab/multiplexing `runLoad`) drives length-prefixed TCP connections (`connectFramed`)
// and cannot speak Engine.IO/Socket.IO, so latency is measured here with a bounded loop of
// `emitWithAck` round trips and nearest-rank percentiles.
//
// Why this cannot be flaky, yet still catches a blocked server:
// - The flood is tied to the measurement, not to the clock: the flooder sends a fixed number of
//   events before each round trip. The extra work per round trip is bounded by construction
//   (FLOOD_PER_ROUND_TRIP events, each dropped by the guard after a token-bucket check), whatever
//   the machine's speed, so a slow or loaded machine slows both phases alike; and the phases
//   alternate in rounds, so a load spike from another process lands on both.
// - Only ratios are compared, with a generous factor (5×) and an absolute floor (a few ms) that
//   absorbs a GC pause or another process taking the core; no absolute time is asserted.
// - A server that blocks on the flooder's events (a handler doing 5 ms of work per event) adds at
//   least 50 ms to every round trip: far outside the bound. The last test proves the same check
//   fails on such a server, so the bound is not vacuous.
const ROUNDS = 3;
const ROUND_TRIPS_PER_ROUND = 50;
const FLOOD_PER_ROUND_TRIP = 25;
const WARM_UP = 20;

interface Percentiles {
  p50: number;
  p99: number;
}
const summary = (latencies: number[]): Percentiles => ({
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
});
/** The bound: flooded percentiles within 5× the quiet ones plus a small absolute floor. */
const withinBound = (quiet: Percentiles, flooded: Percentiles): boolean =>
  flooded.p50 <= 5 * quiet.p50 + 5 && flooded.p99 <= 5 * quiet.p99 + 50;

/**
 * Two good clients' echo latencies, quiet and flooded (`flood` called before each of their round
 * trips), in alternating rounds, so a load spike from another process lands on both phases alike.
 */
async function measure(
  url: string,
  flood: () => void,
  { rounds = ROUNDS, perRound = ROUND_TRIPS_PER_ROUND } = {},
): Promise<{ quiet: Percentiles; flooded: Percentiles }> {
  const clients = [await connectClient(url), await connectClient(url)];
  const quiet: number[] = [];
  const flooded: number[] = [];
  const run = (count: number, before: () => void): Promise<number[]> =>
    Promise.all(clients.map((client) => echoLatencies(client, count, before))).then((r) =>
      r.flat(),
    );
  await run(WARM_UP, () => {}); // JIT, buffers, the first timers: not counted
  for (let round = 0; round < rounds; round++) {
    quiet.push(...(await run(perRound, () => {})));
    flooded.push(...(await run(perRound, flood)));
  }
  for (const client of clients) client.disconnect();
  return { quiet: summary(quiet), flooded: summary(flooded) };
}

function echoServer(io: Server, onConnection: (socket: import('socket.io').Socket) => void): void {
  io.on('connection', (socket) => {
    onConnection(socket);
    socket.on('echo', (value: unknown, ack?: (v: unknown) => void) => ack?.(value));
  });
}

describe('a flooder does not slow other clients down', () => {
  it('keeps other clients’ echo round trips within 5× (p50, p99) while a flooder is throttled', async () => {
    const guard = createFloodGuard({
      eventBurst: 1_000, // the good clients send 150 each: never throttled
      eventsPerSecond: 100,
      strikeLimit: 1e9, // throttled for the whole run, never disconnected: the worst case here
      connectionBurst: 100,
    });
    const { url } = await startIo(floodGuardServerOptions(), (io) => {
      guard.install(io);
      echoServer(io, () => {});
    });
    const flooder = await connectClient(url);
    const flood = (): void => {
      for (let i = 0; i < FLOOD_PER_ROUND_TRIP; i++) flooder.emit('echo', 'flood');
    };
    const { quiet, flooded } = await measure(url, flood);
    const { eventsDropped } = guard.stats();

    const detail = `quiet ${JSON.stringify(quiet)} ms, flooded ${JSON.stringify(flooded)} ms`;
    const floodEvents = ROUNDS * ROUND_TRIPS_PER_ROUND * 2 * FLOOD_PER_ROUND_TRIP;
    expect(eventsDropped, detail).toBeGreaterThan(floodEvents / 2);
    expect(flooder.connected).toBe(true);
    expect(withinBound(quiet, flooded), detail).toBe(true);
  });

  it('the same bound fails on a server that blocks on the flooder’s events (control)', async () => {
    const { url } = await startIo({}, (io) => {
      echoServer(io, (socket) => {
        socket.on('work', () => {
          const until = performance.now() + 5;
          while (performance.now() < until) {
            // a handler that blocks the event loop for 4 ms per event
          }
        });
      });
    });
    const flooder = await connectClient(url);
    const flood = (): void => {
      for (let i = 0; i < 10; i++) flooder.emit('work');
    };
    const { quiet, flooded } = await measure(url, flood, { rounds: 1, perRound: 10 });
    const detail = `quiet ${JSON.stringify(quiet)} ms, blocked ${JSON.stringify(flooded)} ms`;
    expect(withinBound(quiet, flooded), detail).toBe(false);
  });
});
