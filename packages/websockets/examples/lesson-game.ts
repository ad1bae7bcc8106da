/**
 * Prints what lessons/game-server.md shows: a full snapshot and a delta in hex, and a client
 * predicting over a 100 ms link while the server catches up.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-game.ts
 */
import {
  diffSnapshots,
  encodeSnapshot,
  encodeSnapshotDelta,
  GameWorld,
  PredictedPlayer,
  type Snapshot,
} from '../src/realtime/index.ts';

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');

const base: Snapshot = {
  tick: 7,
  ackSeq: 41,
  you: 1,
  entities: [
    { id: 1, x: 500, y: 500 },
    { id: 2, x: 620, y: 480 },
    { id: 3, x: 300, y: 310 },
  ],
};
const next: Snapshot = {
  tick: 8,
  ackSeq: 42,
  you: 1,
  entities: [
    { id: 1, x: 510, y: 500 },
    { id: 2, x: 620, y: 480 },
    { id: 4, x: 700, y: 700 },
  ],
};
const full = encodeSnapshot(next);
const delta = encodeSnapshotDelta(diffSnapshots(base, next));
console.log(`full snapshot, tick 8, 3 entities (${full.byteLength} bytes):`);
console.log(`  ${hex(full)}`);
console.log(`delta against tick 7 (${delta.byteLength} bytes):`);
console.log(`  ${hex(delta)}`);

// A client 100 ms from the server (50 ms each way), one input per 50 ms tick.
const world = new GameWorld({ speed: 200 });
const id = world.addPlayer({ x: 500, y: 500 });
const me = new PredictedPlayer({ x: 500, y: 500 }, { tickMs: 50, speed: 200 });
const inFlight: { at: number; deliver: () => void }[] = [];
console.log('\n  t(ms)  client x  server x  pending');
for (let t = 50; t <= 400; t += 50) {
  if (t <= 200) {
    const input = me.input(1, 0);
    inFlight.push({ at: t + 50, deliver: () => world.receiveInput(id, input) });
  }
  for (const m of inFlight.filter((m) => m.at <= t)) m.deliver();
  inFlight.splice(0, inFlight.length, ...inFlight.filter((m) => m.at > t));
  world.step(50);
  const p = world.player(id);
  if (p) {
    const snapshot = { x: p.x, y: p.y, ack: p.lastProcessedSeq };
    inFlight.push({ at: t + 50, deliver: () => me.reconcile(snapshot, snapshot.ack) });
  }
  console.log(
    `  ${String(t).padStart(5)}  ${me.position.x.toFixed(0).padStart(8)}  ${String(p?.x).padStart(8)}  ${me.pending.length}`,
  );
}
