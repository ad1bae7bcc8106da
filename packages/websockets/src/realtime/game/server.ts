/**
 * The transport: an authoritative game on a Socket.IO namespace. Clients `join` (acknowledged
 * with their entity id and the rules), send `input` events, acknowledge snapshots with `ack`;
 * every tick each joined client gets a binary `snapshot` of what is near it, a delta when it can.
 * @see https://socket.io/docs/v4/emitting-events/#binary (binary payloads)
 */
import type { Namespace, Socket } from 'socket.io';
import { RealtimeError } from '../errors.ts';
import type { Position } from './movement.ts';
import { GameSimulation } from './simulation.ts';
import type { SnapshotHistory } from './snapshot-history.ts';
import { type GameClock, TickLoop } from './tick-loop.ts';
import { GameWorld, type GameWorldOptions } from './world.ts';

/** Options of {@link createGameServer}. */
export interface GameServerOptions extends GameWorldOptions {
  /** @default 50 */
  readonly tickMs?: number;
  /** @default 5 */
  readonly maxCatchUpTicks?: number;
  /** @default realGameClock */
  readonly clock?: GameClock;
  /** How far a player sees, in world units. @default 300 */
  readonly interestRadius?: number;
  /** Snapshots remembered per client for deltas. @default 32 */
  readonly historySize?: number;
  /** Where a new player appears. @default a spot spread by id around the centre */
  readonly spawn?: (id: number) => Position;
  /** Start ticking at once. @default true */
  readonly autoStart?: boolean;
}

/**
 * What a client's `join` is acknowledged with (or `{ error: { code, reason } }` when the world
 * is full: `REALTIME_ERR_LIMIT`).
 */
export interface GameJoinReply {
  readonly id: number;
  readonly tickMs: number;
  readonly worldSize: number;
  readonly speed: number;
  readonly interestRadius: number;
  readonly x: number;
  readonly y: number;
}

/** A running game, from {@link createGameServer}. */
export interface GameServer {
  readonly world: GameWorld;
  readonly simulation: GameSimulation;
  readonly loop: TickLoop;
  /** Players joined through the namespace. */
  readonly players: number;
  /** Resolves with the number of the next tick once it has run and its snapshots are sent. */
  nextTick(): Promise<number>;
  /** Calls `listener` after every tick; returns a function that removes it. */
  onTick(listener: (tick: number) => void): () => void;
  /** Stops the loop and removes the namespace's listeners (it leaves the namespace open). */
  close(): void;
}

interface Joined {
  readonly socket: Socket;
  readonly id: number;
  readonly history: SnapshotHistory;
}

/**
 * Runs an authoritative game on `nsp`. Every client payload is checked before use: a bad input
 * is answered with a `game-error` event (`{ code, reason }`) and dropped; it never reaches
 * another client and never stops the loop.
 * @throws {RangeError}/{TypeError} for bad options (as {@link GameWorld} and {@link TickLoop}).
 * @example
 * ```ts
 * const io = new Server(httpServer);
 * const game = createGameServer(io.of('/game'), { tickMs: 50, interestRadius: 300 });
 * // client: socket.emit('join', (reply) => …); socket.on('snapshot', (bytes) => …)
 * ```
 */
export function createGameServer(nsp: Namespace, options: GameServerOptions = {}): GameServer {
  const world = new GameWorld(options);
  const simulation = new GameSimulation(world, {
    ...(options.interestRadius !== undefined && { interestRadius: options.interestRadius }),
    ...(options.historySize !== undefined && { historySize: options.historySize }),
  });
  const radius = simulation.interestRadius;
  const size = world.rules.worldSize;
  const spawn =
    options.spawn ??
    ((id: number): Position => {
      // A golden-angle spiral around the centre: spread out, deterministic.
      const angle = id * 2.399963;
      const r = Math.min(size / 3, 8 * Math.sqrt(id));
      return { x: size / 2 + r * Math.cos(angle), y: size / 2 + r * Math.sin(angle) };
    });
  const joined = new Map<string, Joined>();
  const sockets = new Map<number, Socket>();
  const listeners = new Set<(tick: number) => void>();

  const step = (dtMs: number, tick: number): void => {
    simulation.tick(dtMs, tick, (id, bytes) => sockets.get(id)?.emit('snapshot', bytes));
    for (const listener of [...listeners]) listener(tick);
  };
  const loop = new TickLoop(step, {
    ...(options.tickMs !== undefined && { tickMs: options.tickMs }),
    ...(options.maxCatchUpTicks !== undefined && { maxCatchUpTicks: options.maxCatchUpTicks }),
    ...(options.clock !== undefined && { clock: options.clock }),
  });

  const refuse = (socket: Socket, error: unknown): void => {
    if (!(error instanceof RealtimeError)) throw error;
    socket.emit('game-error', error.data);
  };

  const onConnection = (socket: Socket): void => {
    socket.on('join', (ack: unknown) => {
      if (typeof ack !== 'function') return;
      const existing = joined.get(socket.id);
      try {
        const id = existing?.id ?? world.addPlayer(spawn);
        if (existing === undefined) {
          joined.set(socket.id, { socket, id, history: simulation.watch(id) });
          sockets.set(id, socket);
        }
        const me = world.player(id) as Position;
        const reply: GameJoinReply = {
          id,
          tickMs: loop.timestep.tickMs,
          worldSize: world.rules.worldSize,
          speed: world.rules.speed,
          interestRadius: radius,
          x: me.x,
          y: me.y,
        };
        ack(reply);
      } catch (error) {
        refuse(socket, error);
        ack({ error: (error as RealtimeError).data });
      }
    });
    socket.on('input', (raw: unknown) => {
      const client = joined.get(socket.id);
      if (client === undefined) {
        refuse(socket, new RealtimeError('REALTIME_ERR_PAYLOAD', 'send join before inputs'));
        return;
      }
      try {
        world.receiveInput(client.id, raw);
      } catch (error) {
        refuse(socket, error);
      }
    });
    socket.on('ack', (tick: unknown) => {
      joined.get(socket.id)?.history.ack(tick);
    });
    socket.on('disconnect', () => {
      const client = joined.get(socket.id);
      if (client !== undefined) {
        world.removePlayer(client.id);
        simulation.unwatch(client.id);
        sockets.delete(client.id);
      }
      joined.delete(socket.id);
    });
  };
  nsp.on('connection', onConnection);
  if (options.autoStart ?? true) loop.start();

  return {
    world,
    simulation,
    loop,
    get players() {
      return joined.size;
    },
    nextTick() {
      return new Promise((resolve) => {
        const listener = (tick: number): void => {
          listeners.delete(listener);
          resolve(tick);
        };
        listeners.add(listener);
      });
    },
    onTick(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      loop.stop();
      nsp.off('connection', onConnection);
      listeners.clear();
    },
  };
}
