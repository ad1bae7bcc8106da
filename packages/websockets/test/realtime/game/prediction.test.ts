import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applySnapshotDelta,
  decodeSnapshotMessage,
  GameWorld,
  interpolatePosition,
  PredictedPlayer,
  type Snapshot,
  SnapshotHistory,
  TickLoop,
} from '../../../src/realtime/index.ts';

const TICK_MS = 50;

/**
 * A one-way link with latency and jitter that keeps order (as TCP does): each message arrives
 * `latencyMs` plus a seeded jitter later, never before the one sent before it.
 */
function lagLink(clock: ManualClock, latencyMs: number, jitterMs: number, seed: number) {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let lastAt = 0;
  return (deliver: () => void): void => {
    const at = Math.max(lastAt, clock.now() + latencyMs + Math.floor(random() * jitterMs));
    lastAt = at;
    clock.setTimeout(deliver, at - clock.now());
  };
}

/** Server and client, each on its own tick loop, joined by a lagging link both ways. */
function simulate(
  latencyMs: number,
  jitterMs: number,
  seed: number,
  moves: readonly [number, number][],
) {
  const clock = new ManualClock();
  const world = new GameWorld({ speed: 200, worldSize: 1000 });
  const id = world.addPlayer({ x: 500, y: 500 });
  const history = new SnapshotHistory();
  const up = lagLink(clock, latencyMs, jitterMs, seed);
  const down = lagLink(clock, latencyMs, jitterMs, seed + 1);
  const me = new PredictedPlayer(
    { x: 500, y: 500 },
    { tickMs: TICK_MS, speed: 200, worldSize: 1000 },
  );
  const received = new Map<number, Snapshot>();
  let corrections = 0;

  const server = new TickLoop(
    (dt, tick) => {
      world.step(dt);
      const p = world.player(id);
      if (p === undefined) return;
      const bytes = history.encode({
        tick,
        ackSeq: p.lastProcessedSeq,
        you: id,
        entities: [{ id, x: p.x, y: p.y }],
      });
      down(() => {
        const message = decodeSnapshotMessage(bytes);
        const snapshot =
          message.type === 'full'
            ? message.snapshot
            : applySnapshotDelta(received.get(message.delta.baseTick) as Snapshot, message.delta);
        received.set(snapshot.tick, snapshot);
        up(() => history.ack(snapshot.tick));
        const mine = snapshot.entities.find((e) => e.id === snapshot.you);
        if (mine === undefined) return;
        const before = me.position;
        const after = me.reconcile(mine, snapshot.ackSeq);
        if (before.x !== after.x || before.y !== after.y) corrections++;
      });
    },
    { tickMs: TICK_MS, clock },
  );
  let sent = 0;
  const client = new TickLoop(
    () => {
      const move = moves[sent];
      if (move === undefined) return;
      sent++;
      const input = me.input(move[0], move[1]);
      up(() => world.receiveInput(id, input));
    },
    { tickMs: TICK_MS, clock },
  );
  return { clock, world, id, me, server, client, corrections: () => corrections };
}

describe('client prediction and server reconciliation over a lagging link', () => {
  it('moves the client at once, and ends exactly where the server says once inputs settle', () => {
    const moves: [number, number][] = Array.from({ length: 40 }, (_, i) => [
      i < 20 ? 1 : -0.5,
      i % 3 === 0 ? 1 : 0,
    ]);
    const sim = simulate(150, 40, 42, moves);
    sim.server.start();
    sim.client.start();
    sim.clock.advance(TICK_MS);
    // One input sent, none yet at the server: the client already moved, the server did not.
    expect(sim.me.position.x).toBeGreaterThan(500);
    expect(sim.world.player(sim.id)).toMatchObject({ x: 500, y: 500, lastProcessedSeq: -1 });
    sim.clock.advance(40 * TICK_MS);
    expect(sim.me.pending.length).toBeGreaterThan(0); // still inputs in flight
    sim.clock.advance(2_000);
    const server = sim.world.player(sim.id);
    expect(server?.lastProcessedSeq).toBe(39);
    expect(sim.me.pending).toEqual([]);
    expect(sim.me.position).toEqual({ x: server?.x, y: server?.y });
    // Prediction was right all along: no snapshot ever moved the predicted player.
    expect(sim.corrections()).toBe(0);
    sim.server.stop();
    sim.client.stop();
  });

  it('converges for any latency, jitter and moves (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.array(fc.tuple(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 2 })), {
          maxLength: 60,
        }),
        (latency, jitter, seed, moves) => {
          const sim = simulate(latency, jitter, seed, moves);
          sim.server.start();
          sim.client.start();
          sim.clock.advance(moves.length * TICK_MS + 4 * (latency + jitter) + 10 * TICK_MS);
          const server = sim.world.player(sim.id);
          expect(server?.lastProcessedSeq).toBe(moves.length - 1);
          expect(sim.me.position).toEqual({ x: server?.x, y: server?.y });
          sim.server.stop();
          sim.client.stop();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('replays unacknowledged inputs on top of a correction from the server', () => {
    const me = new PredictedPlayer({ x: 0, y: 0 }, { tickMs: 50, speed: 200 });
    me.input(1, 0); // seq 0 → x 10
    me.input(1, 0); // seq 1 → x 20
    me.input(0, 1); // seq 2 → y 10
    // The server applied seq 0 but from somewhere else (say a collision pushed us to x = 100).
    expect(me.reconcile({ x: 100, y: 0 }, 0)).toEqual({ x: 110, y: 10 });
    expect(me.pending.map((i) => i.seq)).toEqual([1, 2]);
  });
});

describe('interpolatePosition', () => {
  it('draws between the two last snapshots, clamped', () => {
    expect(interpolatePosition({ x: 0, y: 0 }, { x: 10, y: 20 }, 0.5)).toEqual({ x: 5, y: 10 });
    expect(interpolatePosition({ x: 0, y: 0 }, { x: 10, y: 20 }, 7)).toEqual({ x: 10, y: 20 });
    expect(interpolatePosition({ x: 0, y: 0 }, { x: 10, y: 20 }, Number.NaN)).toEqual({
      x: 10,
      y: 20,
    });
  });
});
