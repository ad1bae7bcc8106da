import net from 'node:net';
import { listenServer } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError } from '../errors.ts';
import { createSeededRandom, randomSeed } from './prng.ts';
import { type Pump, pump, type TcpSettings as Settings } from './tcp-pump.ts';
import type { ImpairedDirection, ImpairedEndpoint } from './udp-link.ts';

/**
 * How a TCP proxy mistreats a byte stream. TCP delivers bytes in order, exactly once, or not at
 * all, so there is no loss, duplication or reordering to simulate here: what an application does
 * see is bytes arriving late, in pieces of any size, slowly, or the connection ending part-way.
 */
export interface TcpImpairmentOptions {
  /** Fixed delay added to every piece, 0–60000 ms. @default 0 */
  readonly delayMs?: number;
  /** Random extra delay per piece, uniform in [0, jitterMs], 0–60000 ms (order is kept). @default 0 */
  readonly jitterMs?: number;
  /** Re-splits every write into pieces of at most this many bytes; 0 keeps them as read. @default 0 */
  readonly chunkBytes?: number;
  /** Throttles the direction to this many bytes per second; 0 is unlimited. @default 0 */
  readonly bytesPerSecond?: number;
  /** Forwards exactly this many bytes in the direction, then cuts the connection; -1 never. @default -1 */
  readonly cutAfterBytes?: number;
}

/** Options of {@link listenImpairedTcpProxy}; top-level impairments apply to both directions. */
export interface ImpairedTcpProxyOptions extends TcpImpairmentOptions {
  /** Where connections are forwarded. */
  readonly target: ImpairedEndpoint;
  /** Address the proxy listens on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port the proxy listens on; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /** Seed of the jitter; read it back from `proxy.seed`. @default a random seed */
  readonly seed?: number;
  /** Client → target only, over the top-level settings. @default {} */
  readonly toTarget?: TcpImpairmentOptions;
  /** Target → client only, over the top-level settings. @default {} */
  readonly toClient?: TcpImpairmentOptions;
  /**
   * How a cut ends the connection: `'close'` closes both sockets after the last byte (the peer
   * reads end-of-stream, as when a process dies), `'reset'` sends a TCP RST (the peer reads
   * ECONNRESET, and may lose bytes still in flight). @default 'close'
   */
  readonly cutMode?: 'close' | 'reset';
  /** Connections at once; more are closed on arrival. @default 256 */
  readonly maxConnections?: number;
  /** Bytes held per direction before the proxy stops reading the sender. @default 1048576 */
  readonly maxBufferedBytes?: number;
}

/** Counters of an {@link ImpairedTcpProxy}. */
export interface ImpairedTcpProxyStats {
  /** Connections accepted since start. */
  connections: number;
  /** Connections open now. */
  active: number;
  /** Bytes and pieces forwarded client → target. */
  readonly toTarget: { bytes: number; pieces: number };
  /** Bytes and pieces forwarded target → client. */
  readonly toClient: { bytes: number; pieces: number };
  /** Connections cut by `cutAfterBytes` or {@link ImpairedTcpProxy.cutAll}. */
  cuts: number;
}

/** A running impaired TCP proxy: see {@link listenImpairedTcpProxy}. */
export interface ImpairedTcpProxy {
  /** Where clients connect. */
  readonly address: ImpairedEndpoint;
  /** The seed of this run. */
  readonly seed: number;
  /** Live counters. */
  readonly stats: ImpairedTcpProxyStats;
  /**
   * Makes the link silently dead, in `direction` (a cable pulled, a NAT mapping dropped): nothing
   * is forwarded, nothing is closed (no FIN, no RST), on every connection open now and every one
   * accepted until {@link ImpairedTcpProxy.resume} (those are accepted and opened to the target,
   * then held). Bytes are held, not dropped, and bounded: the proxy stops reading the stalled
   * sender, so its kernel buffers fill and TCP flow control stops the sender's writes; only what
   * was already read stays in memory (pieces waiting out a delay, up to `maxBufferedBytes`, plus
   * what the socket had read when it was paused, about its `highWaterMark`). An end-of-stream in
   * a stalled direction is held like a byte; a reset or failure of either side is passed on only
   * once no direction is stalled. Stalling a stalled direction does nothing.
   * @param direction - `'toTarget'`, `'toClient'` or both. @default 'both'
   * @throws {TypeError} on an unknown direction.
   * @example
   * proxy.stall(); // a heartbeat now times out at both ends; the sockets stay open
   */
  stall(direction?: ImpairedDirection | 'both'): void;
  /**
   * Forwards again in `direction`: what was held goes first, in order, none lost or duplicated,
   * then the stream carries on (delays, throttling and cuts still apply). Resuming a direction
   * that is not stalled does nothing.
   * @param direction - `'toTarget'`, `'toClient'` or both. @default 'both'
   * @throws {TypeError} on an unknown direction.
   */
  resume(direction?: ImpairedDirection | 'both'): void;
  /** Which directions are stalled now. */
  readonly stalled: Readonly<Record<ImpairedDirection, boolean>>;
  /**
   * Bytes the proxy holds in memory now, per direction, over every connection: pieces waiting
   * (delayed, throttled or stalled) plus what its sockets have read and not yet passed on.
   */
  bufferedBytes(): Record<ImpairedDirection, number>;
  /**
   * Ends every connection open now, at once, stalled or not (held bytes are dropped): `'close'`
   * destroys both sockets (each peer reads end-of-stream), `'reset'` sends a TCP RST (each peer
   * reads ECONNRESET). Counted in `stats.cuts`; the proxy keeps accepting new connections.
   * @param mode - how to end them. @default the proxy's `cutMode`
   * @returns how many connections were cut.
   * @throws {TypeError} on an unknown mode.
   */
  cutAll(mode?: 'close' | 'reset'): number;
  /** Stops listening, cancels pending pieces and destroys every connection. */
  close(): Promise<void>;
}

function resolveTcpImpairment(options: TcpImpairmentOptions, base: Settings): Settings {
  const merged: Record<string, number> = { ...base };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  const check = (name: string, min: number, max: number): number =>
    checkInteger(name, merged[name], min, max);
  return {
    delayMs: check('delayMs', 0, 60_000),
    jitterMs: check('jitterMs', 0, 60_000),
    chunkBytes: check('chunkBytes', 0, 1 << 24),
    bytesPerSecond: check('bytesPerSecond', 0, 1e12),
    cutAfterBytes: check('cutAfterBytes', -1, Number.MAX_SAFE_INTEGER),
  };
}

const TCP_DEFAULTS: Settings = {
  delayMs: 0,
  jitterMs: 0,
  chunkBytes: 0,
  bytesPerSecond: 0,
  cutAfterBytes: -1,
};

/** One proxied connection: its two sockets and two pumps. */
interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly forward: Pump;
  readonly backward: Pump;
  /** Ends both sockets; false when the connection was cut already. */
  cut(mode: 'close' | 'reset'): boolean;
  /** Called on resume: a failure seen while stalled is passed on now. */
  settle(): void;
}

function checkDirection(direction: unknown): ImpairedDirection | 'both' {
  if (direction === 'both' || direction === 'toTarget' || direction === 'toClient') {
    return direction;
  }
  throw new TypeError(
    `direction must be 'toTarget', 'toClient' or 'both', got ${String(direction)}`,
  );
}

function checkCutMode(mode: unknown): 'close' | 'reset' {
  if (mode === 'close' || mode === 'reset') return mode;
  throw new TypeError(`cutMode must be 'close' or 'reset', got ${String(mode)}`);
}

/**
 * Starts a TCP proxy that delays, re-splits, throttles and cuts the byte stream between clients
 * and `target`, to test code that must cope with short reads, slow peers and broken transfers
 * (a resumable download cut after N bytes). Order is always kept: TCP has no loss or reordering
 * an application can see; for those, use {@link listenImpairedUdpLink}.
 *
 * @throws {TypeError} when `target` is missing or `cutMode` is unknown.
 * @throws {RangeError} on a port, delay, size or limit out of range.
 * @throws {TypeError} on one that is not an integer.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejected) when the proxy cannot listen.
 * @example
 * const proxy = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port }, chunkBytes: 1, cutAfterBytes: 1000 });
 * // connect to proxy.address; the connection ends after 1000 bytes each way; then proxy.close()
 */
export async function listenImpairedTcpProxy(
  options: ImpairedTcpProxyOptions,
): Promise<ImpairedTcpProxy> {
  if (typeof options !== 'object' || options === null || typeof options.target !== 'object') {
    throw new TypeError('listenImpairedTcpProxy needs options with a target { host, port }');
  }
  const { target } = options;
  const host = options.host ?? '127.0.0.1';
  const cutMode = checkCutMode(options.cutMode ?? 'close');
  checkInteger('target.port', target.port, 1, 65_535);
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const maxConnections = checkInteger('maxConnections', options.maxConnections ?? 256, 1);
  const maxBuffered = checkInteger('maxBufferedBytes', options.maxBufferedBytes ?? 1 << 20, 1);
  const shared = resolveTcpImpairment(options, TCP_DEFAULTS);
  const toTarget = resolveTcpImpairment(options.toTarget ?? {}, shared);
  const toClient = resolveTcpImpairment(options.toClient ?? {}, shared);
  const seed = options.seed ?? randomSeed();
  const root = createSeededRandom(seed);
  const stats: ImpairedTcpProxyStats = {
    connections: 0,
    active: 0,
    toTarget: { bytes: 0, pieces: 0 },
    toClient: { bytes: 0, pieces: 0 },
    cuts: 0,
  };
  const open = new Set<net.Socket>();
  /** Every connection's two pumps, so close() can clear their delay timers too. */
  const pumps = new Set<Pump>();
  /** Every connection not yet fully closed, so stall(), resume() and cutAll() can reach it. */
  const links = new Set<Link>();
  const stalled: Record<ImpairedDirection, boolean> = { toTarget: false, toClient: false };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (stats.active >= maxConnections) {
      client.destroy();
      return;
    }
    stats.connections++;
    stats.active++;
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    open.add(client);
    open.add(upstream);
    let finished = false;
    const cutWith = (mode: 'close' | 'reset'): boolean => {
      if (finished) return false;
      finished = true;
      stats.cuts++;
      forward.stop();
      backward.stop();
      for (const socket of [client, upstream]) {
        if (mode === 'reset' && !socket.destroyed) socket.resetAndDestroy();
        else socket.destroy();
      }
      return true;
    };
    const cut = (): void => {
      cutWith(cutMode);
    };
    const forward = pump(client, upstream, toTarget, root.fork(), stats.toTarget, maxBuffered, cut);
    const backward = pump(
      upstream,
      client,
      toClient,
      root.fork(),
      stats.toClient,
      maxBuffered,
      cut,
    );
    pumps.add(forward);
    pumps.add(backward);
    if (stalled.toTarget) forward.hold();
    if (stalled.toClient) backward.hold();
    let failed = false;
    const fail = (): void => {
      // one side failed (refused, reset): the other cannot be served any more
      forward.stop();
      backward.stop();
      client.destroy();
      upstream.destroy();
    };
    const link: Link = {
      client,
      upstream,
      forward,
      backward,
      cut: cutWith,
      settle() {
        if (failed && !forward.held && !backward.held) fail();
      },
    };
    links.add(link);
    let counted = true;
    const onClose = (socket: net.Socket) => (hadError: boolean) => {
      open.delete(socket);
      if (hadError) {
        // A stalled link passes nothing on, not even a failure: it waits for resume().
        failed = true;
        link.settle();
      }
      if (counted && client.destroyed && upstream.destroyed) {
        counted = false;
        stats.active--;
        pumps.delete(forward);
        pumps.delete(backward);
        links.delete(link);
      }
    };
    client.on('close', onClose(client));
    upstream.on('close', onClose(upstream));
    client.on('error', () => {});
    upstream.on('error', () => {});
  });

  const bound = await listenServer(server, { host, port }).catch((error: Error) => {
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `impaired TCP proxy could not listen on ${host}:${port}: ${error.message}`,
      { cause: error },
    );
  });
  const directions = (direction: ImpairedDirection | 'both'): ImpairedDirection[] =>
    direction === 'both' ? ['toTarget', 'toClient'] : [direction];
  const pumpOf = (link: Link, direction: ImpairedDirection): Pump =>
    direction === 'toTarget' ? link.forward : link.backward;
  return {
    address: { host, port: bound.port },
    seed: root.seed,
    stats,
    stalled,
    stall(direction = 'both') {
      for (const d of directions(checkDirection(direction))) {
        stalled[d] = true;
        for (const link of links) pumpOf(link, d).hold();
      }
    },
    resume(direction = 'both') {
      const chosen = directions(checkDirection(direction));
      for (const d of chosen) stalled[d] = false;
      for (const link of [...links]) {
        for (const d of chosen) pumpOf(link, d).release();
        link.settle();
      }
    },
    bufferedBytes() {
      const sum = { toTarget: 0, toClient: 0 };
      for (const link of links) {
        sum.toTarget += link.forward.buffered();
        sum.toClient += link.backward.buffered();
      }
      return sum;
    },
    cutAll(mode = cutMode) {
      const chosen = checkCutMode(mode);
      let count = 0;
      for (const link of [...links]) {
        if (link.client.destroyed && link.upstream.destroyed) continue;
        if (link.cut(chosen)) count++;
      }
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Stopped first: a piece still waiting out its delay would keep the process alive.
        for (const pump of pumps) pump.stop();
        pumps.clear();
        for (const socket of open) socket.destroy();
        open.clear();
        server.close(() => resolve());
      }),
  };
}
