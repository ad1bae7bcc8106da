import dgram from 'node:dgram';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError } from '../errors.ts';
import {
  decideImpairment,
  type ImpairmentOptions,
  type ImpairmentSettings,
  resolveImpairmentOptions,
} from './impairment.ts';
import { createSeededRandom, randomSeed, type SeededRandom } from './prng.ts';

/** `toTarget`: client → link → target. `toClient`: target → link → client. */
export type ImpairedDirection = 'toTarget' | 'toClient';

/** An IP address and port. */
export interface ImpairedEndpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Options of {@link listenImpairedUdpLink}. The {@link ImpairmentOptions} at the top level apply
 * to both directions; `toTarget` / `toClient` override them for one direction.
 */
export interface ImpairedUdpLinkOptions extends ImpairmentOptions {
  /** Where datagrams are forwarded: an IP address (not a name) and port. */
  readonly target: ImpairedEndpoint;
  /** IP address the link listens on; must be the same family as the target's. @default '127.0.0.1' */
  readonly host?: string;
  /** Port the link listens on; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /** Seed of every random decision; the link prints nothing, read it back from `link.seed`. @default a random seed */
  readonly seed?: number;
  /** Impairments of client → target only, on top of the top-level ones. @default {} */
  readonly toTarget?: ImpairmentOptions;
  /** Impairments of target → client only, on top of the top-level ones. @default {} */
  readonly toClient?: ImpairmentOptions;
  /** Client addresses served at once; datagrams from more are refused (counted). @default 256 */
  readonly maxSessions?: number;
  /** Extra link sockets, one per extra target port (TFTP TIDs). @default 256 */
  readonly maxSideSockets?: number;
  /** Copies waiting on a delay timer at once; more are dropped (counted as overflowed). @default 10000 */
  readonly maxPendingPackets?: number;
  /** A client (and the target port sockets) silent this long is forgotten, in ms. @default 60000 */
  readonly sessionIdleTimeoutMs?: number;
}

/** Counters of one direction. */
export interface ImpairedDirectionStats {
  /** Datagrams that arrived to be forwarded. */
  received: number;
  /** Copies sent on (duplicates included). */
  forwarded: number;
  /** Datagrams lost on purpose. */
  dropped: number;
  /** Extra copies made. */
  duplicated: number;
  /** Copies that waited on a timer before being sent. */
  delayed: number;
  /** Copies dropped because `maxPendingPackets` were already waiting. */
  overflowed: number;
  /** Copies waiting on a delay timer right now. */
  pending: number;
}

/** Counters of an {@link ImpairedUdpLink}. */
export interface ImpairedUdpLinkStats {
  readonly toTarget: ImpairedDirectionStats;
  readonly toClient: ImpairedDirectionStats;
  /** Client addresses known right now. */
  sessions: number;
  /** Extra link sockets open right now (one per extra target port). */
  sideSockets: number;
  /** Datagrams refused: from a host other than the target, or past `maxSessions`/`maxSideSockets`. */
  refused: number;
  /** Socket errors seen (a send to a vanished port, …); the link keeps going. */
  errors: number;
}

/** A running impaired UDP link: see {@link listenImpairedUdpLink}. */
export interface ImpairedUdpLink {
  /** Where clients send: the link's own address. */
  readonly address: ImpairedEndpoint;
  /** The seed of this run: print it when a test fails, pass it back to replay the run. */
  readonly seed: number;
  /** Live counters. */
  readonly stats: ImpairedUdpLinkStats;
  /**
   * Changes the impairments from now on (e.g. `{ loss: 1 }` for a black-out).
   * @throws {RangeError} on a bad value, as {@link resolveImpairmentOptions}.
   */
  setImpairment(direction: ImpairedDirection | 'both', options: ImpairmentOptions): void;
  /** Cancels every pending delayed copy and closes every socket. Safe to call twice. */
  close(): Promise<void>;
}

interface Side {
  readonly socket: dgram.Socket;
  readonly ready: Promise<void>;
  lastActive: number;
}

interface Session {
  readonly client: ImpairedEndpoint;
  readonly upstream: Side;
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed, or never bound: nothing left to release
  }
}

const newDirectionStats = (): ImpairedDirectionStats => ({
  received: 0,
  forwarded: 0,
  dropped: 0,
  duplicated: 0,
  delayed: 0,
  overflowed: 0,
  pending: 0,
});

/**
 * Starts a UDP proxy that loses, duplicates, delays and reorders datagrams on purpose, with
 * seeded randomness so any run can be replayed. Clients send to `link.address`; the link forwards
 * to `target` from one upstream socket per client address, so the target sees each client as a
 * distinct port and its replies find their way back.
 *
 * Replies from another port of the target host (a TFTP server answers from a new port, its TID —
 * RFC 1350 §4) are sent to the client from an extra link socket, one per such target port: the
 * client then talks to that link socket and the link forwards to the same target port, so the
 * port switch is seen end to end. Replies from any other host are refused.
 *
 * Each direction has its own generator forked from the seed, so what happens to client → target
 * packets does not depend on how many target → client packets were seen. The first datagrams of
 * a new client wait (a few ms) for its upstream socket to bind; the order among them is kept.
 *
 * @throws {TypeError} when `target.host` or `host` is not an IP address, or their families differ.
 * @throws {RangeError} on a port, probability, delay or limit out of range.
 * @throws {TypeError} on one that is not a number, or not an integer where one is needed.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejected) when the link cannot bind.
 * @see https://man7.org/linux/man-pages/man8/tc-netem.8.html — the kernel's own impairments
 * @example
 * const link = await listenImpairedUdpLink({ target: { host: '127.0.0.1', port: 6969 }, loss: 0.1, seed: 42 });
 * // send to link.address instead of 127.0.0.1:6969; then: await link.close();
 */
export async function listenImpairedUdpLink(
  options: ImpairedUdpLinkOptions,
): Promise<ImpairedUdpLink> {
  if (typeof options !== 'object' || options === null || typeof options.target !== 'object') {
    throw new TypeError('listenImpairedUdpLink needs options with a target { host, port }');
  }
  const host = options.host ?? '127.0.0.1';
  const target = { host: options.target.host, port: options.target.port };
  const family = net.isIP(host);
  if (family === 0) throw new TypeError(`host must be an IP address, got ${JSON.stringify(host)}`);
  if (net.isIP(target.host) !== family) {
    throw new TypeError(
      `target.host must be an IP address of the same family as host ${host}, got ${JSON.stringify(target.host)}`,
    );
  }
  checkInteger('target.port', target.port, 1, 65_535);
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const maxSessions = checkInteger('maxSessions', options.maxSessions ?? 256, 1, 65_535);
  const maxSideSockets = checkInteger('maxSideSockets', options.maxSideSockets ?? 256, 0, 65_535);
  const maxPending = checkInteger('maxPendingPackets', options.maxPendingPackets ?? 10_000, 1, 1e7);
  const idleMs = checkInteger(
    'sessionIdleTimeoutMs',
    options.sessionIdleTimeoutMs ?? 60_000,
    10,
    86_400_000,
  );
  const seed = options.seed ?? randomSeed();
  const root = createSeededRandom(seed);
  const shared = resolveImpairmentOptions(options);
  const settings: Record<ImpairedDirection, ImpairmentSettings> = {
    toTarget: resolveImpairmentOptions(options.toTarget ?? {}, shared),
    toClient: resolveImpairmentOptions(options.toClient ?? {}, shared),
  };
  const randoms: Record<ImpairedDirection, SeededRandom> = {
    toTarget: root.fork(),
    toClient: root.fork(),
  };
  const stats: ImpairedUdpLinkStats = {
    toTarget: newDirectionStats(),
    toClient: newDirectionStats(),
    sessions: 0,
    sideSockets: 0,
    refused: 0,
    errors: 0,
  };
  const type = family === 6 ? 'udp6' : 'udp4';
  const sessions = new Map<string, Session>();
  const sides = new Map<number, Side>(); // target port → the link socket clients reach it through
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const openSocket = (
    bindPort: number,
    onMessage: (msg: Buffer, from: dgram.RemoteInfo) => void,
  ): Side => {
    const socket = dgram.createSocket(type);
    socket.on('error', () => {
      stats.errors++;
    });
    socket.on('message', onMessage);
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(bindPort, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    ready.catch(() => {});
    return { socket, ready, lastActive: Date.now() };
  };

  const sendFrom = (side: Side, data: Buffer, to: ImpairedEndpoint): void => {
    side.ready.then(
      () => {
        if (closed) return;
        try {
          side.socket.send(data, to.port, to.host, (error) => {
            if (error) stats.errors++;
          });
        } catch {
          stats.errors++; // the socket was closed by the idle sweep while this copy waited
        }
      },
      () => {
        stats.errors++;
      },
    );
  };

  const impair = (
    direction: ImpairedDirection,
    data: Buffer,
    via: Side,
    to: ImpairedEndpoint,
  ): void => {
    const counts = stats[direction];
    counts.received++;
    const decision = decideImpairment(settings[direction], randoms[direction]);
    if (decision.drop) {
      counts.dropped++;
      return;
    }
    counts.duplicated += decision.delaysMs.length - 1;
    for (const delay of decision.delaysMs) {
      if (delay <= 0) {
        counts.forwarded++;
        sendFrom(via, data, to);
        continue;
      }
      if (timers.size >= maxPending) {
        counts.overflowed++;
        continue;
      }
      counts.pending++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        counts.pending--;
        counts.forwarded++;
        counts.delayed++;
        sendFrom(via, data, to);
      }, delay);
      timers.add(timer);
    }
  };

  const sideFor = (targetPort: number): Side | undefined => {
    const existing = sides.get(targetPort);
    if (existing) return existing;
    if (sides.size >= maxSideSockets) return undefined;
    const side = openSocket(0, (msg, from) => {
      side.lastActive = Date.now();
      const session = sessionFor({ host: from.address, port: from.port });
      if (session)
        impair('toTarget', msg, session.upstream, { host: target.host, port: targetPort });
    });
    sides.set(targetPort, side);
    stats.sideSockets = sides.size;
    return side;
  };

  const sessionFor = (client: ImpairedEndpoint): Session | undefined => {
    const key = `${client.host}|${client.port}`;
    const existing = sessions.get(key);
    if (existing) {
      existing.upstream.lastActive = Date.now();
      return existing;
    }
    if (sessions.size >= maxSessions) {
      stats.refused++;
      return undefined;
    }
    const upstream = openSocket(0, (msg, from) => {
      upstream.lastActive = Date.now();
      if (from.address !== target.host) {
        stats.refused++;
        return;
      }
      const via = from.port === target.port ? front : sideFor(from.port);
      if (!via) {
        stats.refused++;
        return;
      }
      via.lastActive = Date.now();
      impair('toClient', msg, via, client);
    });
    const session = { client, upstream };
    sessions.set(key, session);
    stats.sessions = sessions.size;
    return session;
  };

  const front = openSocket(port, (msg, from) => {
    const session = sessionFor({ host: from.address, port: from.port });
    if (session) impair('toTarget', msg, session.upstream, target);
  });
  try {
    await front.ready;
  } catch (error) {
    closeQuietly(front.socket);
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `impaired link could not bind ${host}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const [key, session] of sessions) {
        if (session.upstream.lastActive < cutoff) {
          sessions.delete(key);
          closeQuietly(session.upstream.socket);
        }
      }
      for (const [targetPort, side] of sides) {
        if (side.lastActive < cutoff) {
          sides.delete(targetPort);
          closeQuietly(side.socket);
        }
      }
      stats.sessions = sessions.size;
      stats.sideSockets = sides.size;
    },
    Math.max(5, Math.floor(idleMs / 2)),
  );
  sweep.unref();

  const bound = front.socket.address();
  return {
    address: { host, port: bound.port },
    seed: root.seed,
    stats,
    setImpairment(direction, next) {
      const directions: ImpairedDirection[] =
        direction === 'both' ? ['toTarget', 'toClient'] : [direction];
      const resolved = directions.map((d) => resolveImpairmentOptions(next, settings[d]));
      directions.forEach((d, i) => {
        settings[d] = resolved[i] ?? settings[d];
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      stats.toTarget.pending = 0;
      stats.toClient.pending = 0;
      const all = [front, ...[...sessions.values()].map((s) => s.upstream), ...sides.values()];
      sessions.clear();
      sides.clear();
      stats.sessions = 0;
      stats.sideSockets = 0;
      await Promise.all(
        all.map(
          (side) =>
            new Promise<void>((resolve) => {
              side.ready.then(
                () => side.socket.close(() => resolve()),
                () => resolve(),
              );
            }),
        ),
      );
    },
  };
}
