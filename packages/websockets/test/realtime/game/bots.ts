// Socket.IO bots for the game server's tests: each joins, decodes snapshots (applying deltas to
// the snapshot they name), acknowledges them, and reconciles a PredictedPlayer.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import {
  applySnapshotDelta,
  createGameServer,
  decodeSnapshotMessage,
  type GameJoinReply,
  type GameServer,
  type GameServerOptions,
  PredictedPlayer,
  type Snapshot,
} from '../../../src/realtime/index.ts';

/** The next `event` on a socket.io-client socket (its emitter is not Node's, so no `events.once`). */
export function nextIo<T = unknown>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (arg: T) => resolve(arg)));
}

export const WAIT_MS = process.env.CI ? 20_000 : 5_000;

/** A game server on 127.0.0.1, port 0, namespace /game; closed when the test finishes. */
export async function startGame(
  options: GameServerOptions,
): Promise<{ game: GameServer; url: string; io: Server }> {
  const http = createServer();
  const io = new Server(http);
  const game = createGameServer(io.of('/game'), options);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  onTestFinished(async () => {
    game.close();
    await io.close();
  });
  const { port } = http.address() as AddressInfo;
  return { game, url: `http://127.0.0.1:${port}/game`, io };
}

export interface Bot {
  readonly socket: Socket;
  readonly reply: GameJoinReply;
  readonly me: PredictedPlayer;
  /** The newest snapshot, whole (deltas applied). */
  latest: Snapshot | undefined;
  readonly errors: { code: string; reason: string }[];
  /** Resolves once a snapshot of tick `tick` or later has arrived. */
  waitForTick(tick: number): Promise<Snapshot>;
}

/** Connects a bot and joins; disconnected when the test finishes. */
export async function startBot(url: string): Promise<Bot> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  onTestFinished(() => {
    socket.disconnect();
  });
  await withTimeout(nextIo(socket, 'connect'), 'a bot to connect', WAIT_MS);
  const reply = (await withTimeout(
    socket.emitWithAck('join'),
    'the join ack',
    WAIT_MS,
  )) as GameJoinReply;
  const me = new PredictedPlayer(reply, {
    tickMs: reply.tickMs,
    speed: reply.speed,
    worldSize: reply.worldSize,
  });
  const received = new Map<number, Snapshot>();
  const waiters = new Set<{ tick: number; resolve: (s: Snapshot) => void }>();
  const bot: Bot = {
    socket,
    reply,
    me,
    latest: undefined,
    errors: [],
    waitForTick(tick) {
      if (bot.latest !== undefined && bot.latest.tick >= tick) return Promise.resolve(bot.latest);
      return withTimeout(
        new Promise<Snapshot>((resolve) => waiters.add({ tick, resolve })),
        `bot ${reply.id}'s snapshot of tick ${tick}`,
        WAIT_MS,
      );
    },
  };
  socket.on('game-error', (error: { code: string; reason: string }) => bot.errors.push(error));
  socket.on('snapshot', (bytes: Uint8Array) => {
    const message = decodeSnapshotMessage(new Uint8Array(bytes));
    const snapshot =
      message.type === 'full'
        ? message.snapshot
        : applySnapshotDelta(received.get(message.delta.baseTick) as Snapshot, message.delta);
    received.set(snapshot.tick, snapshot);
    for (const old of received.keys()) if (old < snapshot.tick - 64) received.delete(old);
    socket.emit('ack', snapshot.tick);
    bot.latest = snapshot;
    const mine = snapshot.entities.find((e) => e.id === snapshot.you);
    if (mine !== undefined) me.reconcile(mine, snapshot.ackSeq);
    for (const waiter of [...waiters]) {
      if (snapshot.tick >= waiter.tick) {
        waiters.delete(waiter);
        waiter.resolve(snapshot);
      }
    }
  });
  return bot;
}
