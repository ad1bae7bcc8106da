import { ManualClock, withTimeout } from '@socketlab/testkit';
import { io as connect } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Bot, nextIo, startBot, startGame, WAIT_MS } from './bots.ts';

const TICK_MS = 50;

/** Runs one tick on the manual clock and waits for every bot's snapshot of it. */
async function tick(
  clock: ManualClock,
  game: { loop: { timestep: { tick: number } } },
  bots: readonly Bot[],
) {
  const t = game.loop.timestep.tick;
  clock.advance(TICK_MS);
  await Promise.all(bots.map((b) => b.waitForTick(t)));
  return t;
}

describe('createGameServer on Socket.IO', () => {
  it('bots on 127.0.0.1 move towards one spot, predict, and all converge on the server positions', async () => {
    const clock = new ManualClock();
    const { game, url } = await startGame({ clock, tickMs: TICK_MS, interestRadius: 2000 });
    const bots = await Promise.all(Array.from({ length: 8 }, () => startBot(url)));
    expect(new Set(bots.map((b) => b.reply.id)).size).toBe(8);
    expect(game.players).toBe(8);
    const target = { x: 400, y: 600 };
    let rounds = 0;
    for (; rounds < 200; rounds++) {
      const done = bots.every((b) => {
        const server = game.world.player(b.reply.id);
        return (
          b.me.pending.length === 0 &&
          server !== undefined &&
          Math.hypot(server.x - target.x, server.y - target.y) < 1 &&
          b.me.position.x === server.x &&
          b.me.position.y === server.y
        );
      });
      if (done) break;
      for (const b of bots) {
        const { x, y } = b.me.position;
        const step = (b.me.rules.speed * TICK_MS) / 1000;
        const dx = Math.max(-1, Math.min(1, (target.x - x) / step));
        const dy = Math.max(-1, Math.min(1, (target.y - y) / step));
        if (Math.abs(target.x - x) >= 0.5 || Math.abs(target.y - y) >= 0.5)
          b.socket.emit('input', b.me.input(dx, dy));
      }
      await tick(clock, game, bots);
    }
    expect(rounds).toBeLessThan(200);
    for (const b of bots) {
      // Every bot sees every other (radius 2000) at the server's positions.
      expect(b.latest?.entities.map((e) => e.id).sort()).toEqual(
        bots.map((o) => o.reply.id).sort(),
      );
      expect(b.errors).toEqual([]);
    }
  });

  it('sends each player only what is within its interest radius, and removes who walks away', async () => {
    const clock = new ManualClock();
    const spots = [
      { x: 100, y: 100 },
      { x: 150, y: 100 },
      { x: 900, y: 900 },
    ];
    const { game, url } = await startGame({
      clock,
      tickMs: TICK_MS,
      interestRadius: 100,
      spawn: (id) => spots[id - 1] ?? { x: 0, y: 0 },
    });
    const [a, b, far] = [await startBot(url), await startBot(url), await startBot(url)] as const;
    await tick(clock, game, [a, b, far]);
    expect(a.latest?.entities.map((e) => e.id)).toEqual([a.reply.id, b.reply.id]);
    expect(far.latest?.entities.map((e) => e.id)).toEqual([far.reply.id]);
    // b walks right, out of a's radius (100 units) after 6 ticks of 10 units.
    for (let i = 0; i < 8; i++) {
      b.socket.emit('input', b.me.input(1, 0));
      await tick(clock, game, [a, b, far]);
    }
    for (let i = 0; i < 3 && b.me.pending.length > 0; i++) await tick(clock, game, [a, b, far]);
    expect(game.world.player(b.reply.id)?.x).toBeGreaterThan(200);
    expect(a.latest?.entities.map((e) => e.id)).toEqual([a.reply.id]);
  });

  it('answers hostile input with game-error, and keeps ticking for everybody else', async () => {
    const clock = new ManualClock();
    const { game, url } = await startGame({ clock, tickMs: TICK_MS, maxQueuedInputs: 8 });
    const good = await startBot(url);
    const bad = await startBot(url);
    const hostile: unknown[] = [
      { seq: 0, dx: Number.NaN, dy: 0 }, // NaN travels as null in JSON
      { seq: 'x', dx: 0, dy: 0 },
      'a string',
      42,
      { seq: 2 ** 40, dx: 0, dy: 0 },
      JSON.parse(`${'['.repeat(500)}${']'.repeat(500)}`),
    ];
    for (const payload of hostile) bad.socket.emit('input', payload);
    for (let seq = 0; seq < 20; seq++) bad.socket.emit('input', { seq, dx: 1, dy: 0 });
    bad.socket.emit('ack', { tick: 'nonsense' });
    bad.socket.emit('join', 'not a function');
    good.socket.emit('input', good.me.input(0, 1));
    // A round trip after the burst: everything bad sent has been handled once this is answered.
    await withTimeout(bad.socket.emitWithAck('join'), 'a second join ack', WAIT_MS);
    await tick(clock, game, [good, bad]);
    await tick(clock, game, [good, bad]);
    const codes = bad.errors.map((e) => e.code);
    expect(codes.filter((c) => c === 'REALTIME_ERR_PAYLOAD')).toHaveLength(6);
    expect(codes.filter((c) => c === 'REALTIME_ERR_LIMIT')).toHaveLength(12);
    expect(good.errors).toEqual([]);
    expect(game.world.player(good.reply.id)?.lastProcessedSeq).toBe(0);
    const server = game.world.player(good.reply.id);
    expect(good.me.position).toEqual({ x: server?.x, y: server?.y });
    expect(game.players).toBe(2);
  });

  it('refuses input before join, and forgets a player who disconnects', async () => {
    const clock = new ManualClock();
    const { game, url } = await startGame({ clock, tickMs: TICK_MS });
    const stranger = connect(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    onTestFinished(() => {
      stranger.disconnect();
    });
    const refused = withTimeout(nextIo(stranger, 'game-error'), 'game-error before join', WAIT_MS);
    stranger.emit('input', { seq: 0, dx: 1, dy: 0 });
    expect(await refused).toMatchObject({ code: 'REALTIME_ERR_PAYLOAD' });
    expect(game.players).toBe(0);
    const stay = await startBot(url);
    const leave = await startBot(url);
    await tick(clock, game, [stay, leave]);
    expect(stay.latest?.entities).toHaveLength(2);
    leave.socket.disconnect();
    for (let i = 0; i < 50 && game.players > 1; i++) await tick(clock, game, [stay]);
    expect(game.players).toBe(1);
    await tick(clock, game, [stay]);
    expect(stay.latest?.entities.map((e) => e.id)).toEqual([stay.reply.id]);
  });
});

describe('createGameServer limits', () => {
  it('answers a join to a full world with REALTIME_ERR_LIMIT, in the ack and as game-error', async () => {
    const clock = new ManualClock();
    const { url } = await startGame({ clock, tickMs: TICK_MS, maxPlayers: 1 });
    await startBot(url);
    const late = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    onTestFinished(() => {
      late.disconnect();
    });
    const refused = withTimeout(nextIo(late, 'game-error'), 'game-error for a full world', WAIT_MS);
    const reply = await withTimeout(late.emitWithAck('join'), 'the join ack', WAIT_MS);
    expect(reply).toMatchObject({ error: { code: 'REALTIME_ERR_LIMIT' } });
    expect(await refused).toMatchObject({ code: 'REALTIME_ERR_LIMIT' });
  });
});
