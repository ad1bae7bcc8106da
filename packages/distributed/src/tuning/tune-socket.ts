import net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { checkInteger } from '@socketlab/internal';
import { type AppliedSocketOptions, applySocketOptions } from '@socketlab/multiplexing';

/**
 * Defaults of {@link tuneSocket} and {@link listenTuned}: what a server carrying many small
 * real-time messages wants, which is not what Node starts a socket with (Nagle on, no keepalive).
 */
export const TUNING_DEFAULTS = Object.freeze({
  /** Nagle off: a small reply leaves at once instead of waiting for the ACK of the one before. */
  noDelay: true,
  /**
   * Keepalive probes after 30 s of silence: a peer that vanished (a laptop closed, a NAT entry
   * dropped) is found in about 30 s plus libuv's 10 probes 1 s apart, not in the kernel's 2 h.
   */
  keepAliveDelayMs: 30_000,
  /** No idle timeout: a real-time connection may be quiet for long; heartbeats decide. */
  idleTimeoutMs: 0,
  /**
   * The listen backlog Node uses when none is given. Linux caps it at `net.core.somaxconn`
   * (4096 since Linux 5.4, 128 before), silently.
   */
  backlog: 511,
});

/** The knobs of one connected socket (see {@link TUNING_DEFAULTS} for why each default). */
export interface SocketTuning {
  /**
   * `true` turns Nagle's algorithm off (`TCP_NODELAY`, `socket.setNoDelay()`); Node cannot
   * read it back. @default true
   */
  readonly noDelay?: boolean;
  /**
   * Idle time before the first keepalive probe (`SO_KEEPALIVE` + `TCP_KEEPIDLE`, whole seconds,
   * 1,000 to 32,767,000 ms), or `false` for none. @default 30000
   */
  readonly keepAliveDelayMs?: number | false;
  /** `socket.setTimeout()`: `'timeout'` after this long without traffic; 0 = off. @default 0 */
  readonly idleTimeoutMs?: number;
}

/**
 * Applies the tuning of a real-time server to one connected `net.Socket`, on top of stage 3's
 * `applySocketOptions` (which checks every value). What it cannot do, because Node does not expose
 * it on TCP sockets: `SO_SNDBUF`/`SO_RCVBUF` (only `dgram` has `setSendBufferSize`); Linux sizes
 * TCP buffers itself between `net.ipv4.tcp_wmem`/`tcp_rmem`'s bounds (autotuning, `man 7 tcp`),
 * and the buffer a Node program does choose is the stream's `highWaterMark`, set when the socket
 * is made ({@link listenTuned}).
 * @param socket - a connected (or connecting) `net.Socket`
 * @param tuning - see {@link SocketTuning}; every knob left out takes its default
 * @returns what was asked of the kernel (keepalive delay rounded down to seconds)
 * @throws {TypeError} a value of the wrong kind
 * @throws {RangeError} a value out of range
 * @see https://man7.org/linux/man-pages/man7/tcp.7.html
 * @see https://nodejs.org/docs/latest-v20.x/api/net.html#socketsetnodelaynodelay
 * @example
 * net.createServer((socket) => { tuneSocket(socket); … });
 * tuneSocket(client, { keepAliveDelayMs: 10_000, idleTimeoutMs: 120_000 });
 */
export function tuneSocket(socket: net.Socket, tuning: SocketTuning = {}): AppliedSocketOptions {
  if (typeof tuning !== 'object' || tuning === null)
    throw new TypeError('tuning must be an object');
  const d = TUNING_DEFAULTS;
  const keepAliveDelayMs = tuning.keepAliveDelayMs ?? d.keepAliveDelayMs;
  return applySocketOptions(socket, {
    noDelay: tuning.noDelay ?? d.noDelay,
    keepAlive: keepAliveDelayMs === false ? false : { delayMs: keepAliveDelayMs },
    idleTimeoutMs: tuning.idleTimeoutMs ?? d.idleTimeoutMs,
  });
}

/** Options of {@link listenTuned}: the socket knobs, plus those of the listener. */
export interface TunedServerOptions extends SocketTuning {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /**
   * The accept queue's length (`listen(2)`): connections the kernel completes while the program
   * has not accepted them yet. Past it, Linux drops new SYNs and the clients resend after 1 s,
   * then 3 s… Capped by `net.core.somaxconn`. 1 to 65,535. @default 511
   */
  readonly backlog?: number;
  /**
   * Bytes each accepted socket buffers in user space before `write()` returns false and before
   * reading pauses (`readableHighWaterMark` and `writableHighWaterMark`): a larger one means
   * fewer, bigger reads and writes for bulk data, and more memory per slow client.
   * 1 to 64 MiB. @default stream.getDefaultHighWaterMark(false): 16 KiB on Node 20, 64 KiB from Node 22
   */
  readonly highWaterMark?: number;
}

/** A listening tuned server. */
export interface TunedServer {
  readonly server: net.Server;
  readonly address: net.AddressInfo;
  /** Stops accepting and destroys open connections; resolves once closed. */
  close(): Promise<void>;
}

/**
 * A TCP server whose every accepted socket is tuned ({@link tuneSocket}) and sized
 * (`highWaterMark`) before `onConnection` sees it, listening with the given `backlog`.
 * @throws {TypeError}/{@link RangeError} (synchronously) a bad option
 * @throws rejects with Node's listen error (`EADDRINUSE`, `EACCES`)
 * @see https://nodejs.org/docs/latest-v20.x/api/net.html#netcreateserveroptions-connectionlistener
 * @see https://nodejs.org/docs/latest-v20.x/api/net.html#serverlistenoptions-callback
 * @example
 * const { address, close } = await listenTuned({ backlog: 4096, highWaterMark: 256 * 1024 }, (socket) => socket.pipe(socket));
 */
export function listenTuned(
  options: TunedServerOptions,
  onConnection: (socket: net.Socket) => void,
): Promise<TunedServer> {
  const backlog = checkInteger('backlog', options.backlog ?? TUNING_DEFAULTS.backlog, 1, 65_535);
  const highWaterMark = checkInteger(
    'highWaterMark',
    options.highWaterMark ?? getDefaultHighWaterMark(false),
    1,
    64 * 1024 * 1024,
  );
  const d = TUNING_DEFAULTS;
  const tuning: SocketTuning = {
    noDelay: options.noDelay ?? d.noDelay,
    keepAliveDelayMs: options.keepAliveDelayMs ?? d.keepAliveDelayMs,
    idleTimeoutMs: options.idleTimeoutMs ?? d.idleTimeoutMs,
  };
  // Checked now, on a socket that never connects, so a bad knob throws here and not per client.
  const probe = new net.Socket();
  try {
    tuneSocket(probe, tuning);
  } finally {
    probe.destroy();
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ highWaterMark }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    tuneSocket(socket, tuning);
    onConnection(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, backlog }, () => {
      server.off('error', reject);
      let closing: Promise<void> | undefined;
      resolve({
        server,
        address: server.address() as net.AddressInfo,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          });
          return closing;
        },
      });
    });
  });
}
