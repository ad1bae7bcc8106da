/**
 * The game server's tick, in process: 100 and 1,000 simulated players, each sending one input
 * per tick, the world stepped, the grid rebuilt, and every player's snapshot of what is within
 * its interest radius built and encoded (a delta against the snapshot it acknowledged the tick
 * before). No sockets: this is the CPU a tick costs, compared with the tick period it must fit
 * in. Players are spread at a constant density (about 18 within the 300-unit radius of each).
 *   pnpm bench game
 */
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { GameSimulation, GameWorld } from '../src/realtime/index.ts';

const TICK_MS = 50;
const RADIUS = 300;

/** A seeded xorshift32, so every run places and moves the players the same way. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Times `ticks` ticks of `players` players; returns the per-tick milliseconds, sorted. */
function measure(
  players: number,
  ticks: number,
): { times: number[]; bytes: number; cpuMs: number } {
  const worldSize = Math.round(4000 * Math.sqrt(players / 1000));
  const world = new GameWorld({ worldSize, maxPlayers: players });
  const sim = new GameSimulation(world, { interestRadius: RADIUS });
  const random = seeded(players);
  const ids: number[] = [];
  for (let i = 0; i < players; i++) {
    const id = world.addPlayer({ x: random() * worldSize, y: random() * worldSize });
    sim.watch(id);
    ids.push(id);
  }
  const seqs = new Map<number, number>(ids.map((id) => [id, 0]));
  let bytes = 0;
  const times: number[] = [];
  let cpuMicros = 0;
  const warmUp = Math.min(50, ticks);
  for (let t = 0; t < warmUp + ticks; t++) {
    for (const id of ids) {
      const seq = seqs.get(id) as number;
      seqs.set(id, seq + 1);
      world.receiveInput(id, { seq, dx: random() * 2 - 1, dy: random() * 2 - 1 });
    }
    const cpu = process.cpuUsage();
    const start = performance.now();
    sim.tick(TICK_MS, t, (_, snapshot) => {
      bytes += snapshot.byteLength;
    });
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    if (t >= warmUp) cpuMicros += used.user + used.system;
    // Every client acknowledges what it got (in a real game, a round trip later).
    for (const id of ids) sim.history(id)?.ack(t);
    if (t >= warmUp) times.push(elapsed);
  }
  return {
    times: times.sort((a, b) => a - b),
    bytes: bytes / (warmUp + ticks),
    cpuMs: cpuMicros / 1000 / ticks,
  };
}

export async function rows(): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  for (const players of [100, 1_000]) {
    const ticks = BENCH_QUICK ? 20 : players >= 1_000 ? 400 : 2_000;
    const { times, bytes, cpuMs } = measure(players, ticks);
    // CPU time (all of the process's threads, GC included) next to wall time: on a loaded
    // machine a long tick is preempted, and its wall time grows with the load, not the code.
    console.error(
      `game ${players} players: ${Math.round(bytes).toLocaleString('en')} snapshot bytes per tick, ${cpuMs.toFixed(2)} ms CPU per tick on average`,
    );
    for (const p of [50, 99]) {
      const value = percentile(times, p);
      out.push({
        bench: `game-tick-${players}-players-p${p}`,
        unit: `ms per tick, p${p} (lower is better; ratio = ${TICK_MS} ms period / time, higher is better)`,
        value,
        baseline: `tick period ${TICK_MS} ms`,
        baselineValue: TICK_MS,
        ratio: TICK_MS / value,
      });
    }
  }
  return out;
}
