import { describe, expect, it } from 'vitest';
import { GameWorld, RealtimeError } from '../../../src/realtime/index.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeError);
    return (error as RealtimeError).code;
  }
};

describe('GameWorld', () => {
  it('applies each input once, in seq order, and reports the last processed seq', () => {
    const world = new GameWorld({ speed: 200 });
    const id = world.addPlayer({ x: 100, y: 100 });
    expect(world.receiveInput(id, { seq: 0, dx: 1, dy: 0 })).toBe('queued');
    expect(world.receiveInput(id, { seq: 1, dx: 0, dy: 1 })).toBe('queued');
    world.step(50);
    expect(world.player(id)).toEqual({ id, x: 110, y: 110, lastProcessedSeq: 1 });
    world.step(50);
    expect(world.player(id)).toMatchObject({ x: 110, y: 110 });
  });

  it('drops duplicates and stale inputs', () => {
    const world = new GameWorld();
    const id = world.addPlayer({ x: 100, y: 100 });
    world.receiveInput(id, { seq: 5, dx: 1, dy: 0 });
    expect(world.receiveInput(id, { seq: 5, dx: 1, dy: 0 })).toBe('stale');
    expect(world.receiveInput(id, { seq: 3, dx: 1, dy: 0 })).toBe('stale');
    world.step(50);
    expect(world.player(id)).toMatchObject({ x: 110, lastProcessedSeq: 5 });
    expect(world.receiveInput(id, { seq: 5, dx: 1, dy: 0 })).toBe('stale');
  });

  it('applies at most maxInputsPerTick per tick and refuses past maxQueuedInputs', () => {
    const world = new GameWorld({ maxInputsPerTick: 2, maxQueuedInputs: 4 });
    const id = world.addPlayer({ x: 100, y: 100 });
    for (let seq = 0; seq < 4; seq++) world.receiveInput(id, { seq, dx: 1, dy: 0 });
    expect(codeOf(() => world.receiveInput(id, { seq: 4, dx: 1, dy: 0 }))).toBe(
      'REALTIME_ERR_LIMIT',
    );
    world.step(50);
    expect(world.player(id)).toMatchObject({ x: 120, lastProcessedSeq: 1 });
    world.step(50);
    expect(world.player(id)).toMatchObject({ x: 140, lastProcessedSeq: 3 });
    // The refused seq 4 was never received: it can be sent again.
    expect(world.receiveInput(id, { seq: 4, dx: 1, dy: 0 })).toBe('queued');
  });

  it.each([
    ['NaN', { seq: 0, dx: Number.NaN, dy: 0 }],
    ['Infinity', { seq: 0, dx: 0, dy: Number.POSITIVE_INFINITY }],
    ['a string axis', { seq: 0, dx: '1', dy: 0 }],
    ['a fractional seq', { seq: 1.5, dx: 0, dy: 0 }],
    ['a negative seq', { seq: -1, dx: 0, dy: 0 }],
    ['a seq past u32', { seq: 2 ** 32, dx: 0, dy: 0 }],
    ['null', null],
    ['an array', [0, 1, 0]],
    ['a missing field', { seq: 0, dx: 1 }],
  ])('refuses %s with REALTIME_ERR_PAYLOAD and stays intact', (_, input) => {
    const world = new GameWorld();
    const id = world.addPlayer({ x: 100, y: 100 });
    expect(codeOf(() => world.receiveInput(id, input))).toBe('REALTIME_ERR_PAYLOAD');
    world.step(50);
    expect(world.player(id)).toEqual({ id, x: 100, y: 100, lastProcessedSeq: -1 });
  });

  it('refuses a seq that jumps past maxSeqGap (REALTIME_ERR_LIMIT)', () => {
    const world = new GameWorld({ maxSeqGap: 10 });
    const id = world.addPlayer();
    expect(codeOf(() => world.receiveInput(id, { seq: 2 ** 32 - 1, dx: 0, dy: 0 }))).toBe(
      'REALTIME_ERR_LIMIT',
    );
    expect(world.receiveInput(id, { seq: 9, dx: 0, dy: 0 })).toBe('queued');
  });

  it('clamps huge axes and diagonals to full speed, and keeps players inside the world', () => {
    const world = new GameWorld({ speed: 200, worldSize: 1000 });
    const id = world.addPlayer({ x: 500, y: 500 });
    world.receiveInput(id, { seq: 0, dx: 1e300, dy: 0 });
    world.step(50);
    expect(world.player(id)).toMatchObject({ x: 510, y: 500 });
    world.receiveInput(id, { seq: 1, dx: 1, dy: 1 });
    world.step(50);
    const p = world.player(id);
    expect(Math.hypot((p?.x ?? 0) - 510, (p?.y ?? 0) - 500)).toBeCloseTo(10, 4);
    const edge = world.addPlayer({ x: 999, y: -50 });
    world.receiveInput(edge, { seq: 0, dx: 1, dy: -1 });
    world.step(1_000);
    expect(world.player(edge)).toMatchObject({ x: 1000, y: 0 });
  });

  it('refuses a player past maxPlayers, and inputs for a player that is not there', () => {
    const world = new GameWorld({ maxPlayers: 1 });
    world.addPlayer();
    expect(codeOf(() => world.addPlayer())).toBe('REALTIME_ERR_LIMIT');
    expect(codeOf(() => world.receiveInput(99, { seq: 0, dx: 0, dy: 0 }))).toBe(
      'REALTIME_ERR_PAYLOAD',
    );
  });
});
