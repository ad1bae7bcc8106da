import net from 'node:net';
import { readSocketTable } from '@socketlab/basics';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { checkOptionsObject } from './check.ts';

/**
 * The default idle time before the first keepalive probe, when `keepAlive` is given without
 * `delayMs`: one minute (the kernel's own default, `net.ipv4.tcp_keepalive_time`, is two hours).
 */
export const DEFAULT_KEEPALIVE_DELAY_MS = 60_000;

/**
 * The largest keepalive delay or interval Linux accepts: `TCP_KEEPIDLE`/`TCP_KEEPINTVL` take
 * whole seconds up to 32,767 (`MAX_TCP_KEEPIDLE`, `MAX_TCP_KEEPINTVL` in `include/net/tcp.h`).
 */
export const KEEPALIVE_MAX_DELAY_MS = 32_767_000;

/** The largest probe count Linux accepts for `TCP_KEEPCNT` (`MAX_TCP_KEEPCNT`). */
export const KEEPALIVE_MAX_PROBES = 127;

/**
 * Whether this Node.js can set the keepalive interval and probe count per socket
 * (`socket.setKeepAlive(enable, delay, interval, count)`). Node 20 cannot: its `setKeepAlive`
 * takes only the initial delay, and libuv (since 1.35) sets the interval to 1 s and the count to
 * 10 itself, whatever `net.ipv4.tcp_keepalive_intvl` and `tcp_keepalive_probes` say (strace
 * shows the four `setsockopt` calls).
 */
export const KEEPALIVE_TUNING_SUPPORTED: boolean = net.Socket.prototype.setKeepAlive.length >= 4;

/** What libuv's `uv_tcp_keepalive` sets when not told otherwise: `TCP_KEEPINTVL` 1 s, `TCP_KEEPCNT` 10. */
const LIBUV_KEEPALIVE = { intervalMs: 1_000, probes: 10 } as const;

/** TCP keepalive: after `delayMs` of silence the kernel probes the peer; unanswered probes end the connection. */
export interface KeepAliveOptions {
  /**
   * Idle time before the first probe (`TCP_KEEPIDLE`), rounded down to whole seconds by Node,
   * 1,000 to {@link KEEPALIVE_MAX_DELAY_MS}.
   * @default DEFAULT_KEEPALIVE_DELAY_MS (60000)
   */
  readonly delayMs?: number;
  /**
   * Time between unanswered probes (`TCP_KEEPINTVL`), 1,000 to {@link KEEPALIVE_MAX_DELAY_MS}.
   * Only where {@link KEEPALIVE_TUNING_SUPPORTED}; elsewhere giving it throws a `TypeError`.
   * @default 1000 (libuv's own value, not the kernel's `net.ipv4.tcp_keepalive_intvl`)
   */
  readonly intervalMs?: number;
  /**
   * Unanswered probes before the connection is dropped (`TCP_KEEPCNT`), 1 to 127. Only where
   * {@link KEEPALIVE_TUNING_SUPPORTED}; elsewhere giving it throws a `TypeError`.
   * @default 10 (libuv's own value, not the kernel's `net.ipv4.tcp_keepalive_probes`)
   */
  readonly probes?: number;
}

/** Options of {@link applySocketOptions}; an option left out leaves the socket as it is. */
export interface TcpSocketOptions {
  /**
   * `true` turns Nagle's algorithm off (`TCP_NODELAY`): small writes leave at once instead of
   * waiting for the previous segment's ACK. Node cannot read it back.
   * @default unchanged (Node's sockets start with Nagle on, `false`)
   */
  readonly noDelay?: boolean;
  /** Keepalive probes on an idle connection, or `false` to turn them off. @default unchanged (off) */
  readonly keepAlive?: KeepAliveOptions | false;
  /**
   * Emit `'timeout'` after this long without activity (`socket.setTimeout`); 0 = off. Node only
   * tells: the application decides whether to close.
   * @default unchanged (0)
   */
  readonly idleTimeoutMs?: number;
}

/**
 * What {@link applySocketOptions} asked of the kernel; `'libuv'` marks a keepalive setting left to
 * libuv, which sets it itself (interval 1 s, 10 probes).
 */
export interface AppliedSocketOptions {
  readonly noDelay?: boolean;
  readonly keepAlive?:
    | false
    | {
        readonly delayMs: number;
        readonly intervalMs: number | 'libuv';
        readonly probes: number | 'libuv';
      };
  readonly idleTimeoutMs?: number;
}

/**
 * Applies TCP socket options to a connected (or connecting) `net.Socket`, checking each first.
 * @param socket - a `net.Socket` (a client's, or one a server accepted)
 * @param options - see {@link TcpSocketOptions}
 * @returns what was asked of the kernel, with the keepalive delay rounded down to seconds
 * @throws {TypeError} a value of the wrong kind, or `intervalMs`/`probes` on a Node.js that
 *   cannot set them (see {@link KEEPALIVE_TUNING_SUPPORTED})
 * @throws {RangeError} a value out of range
 * @example
 * applySocketOptions(socket, { noDelay: true, keepAlive: { delayMs: 30_000 }, idleTimeoutMs: 120_000 });
 */
export function applySocketOptions(
  socket: net.Socket,
  options: TcpSocketOptions,
): AppliedSocketOptions {
  if (!(socket instanceof net.Socket)) throw new TypeError('socket must be a net.Socket');
  checkOptionsObject(options);
  const { noDelay, keepAlive, idleTimeoutMs } = options;
  if (noDelay !== undefined && typeof noDelay !== 'boolean') {
    throw new TypeError(`noDelay must be a boolean, got ${typeof noDelay}`);
  }
  const keepAliveApplied = keepAlive === undefined ? undefined : resolveKeepAlive(keepAlive);
  if (idleTimeoutMs !== undefined) checkInteger('idleTimeoutMs', idleTimeoutMs, 0, TIMER_MAX_MS);

  const applied: { -readonly [K in keyof AppliedSocketOptions]: AppliedSocketOptions[K] } = {};
  if (noDelay !== undefined) {
    socket.setNoDelay(noDelay);
    applied.noDelay = noDelay;
  }
  if (keepAliveApplied !== undefined) {
    if (keepAliveApplied === false) socket.setKeepAlive(false);
    else if (keepAliveApplied.intervalMs === 'libuv' && keepAliveApplied.probes === 'libuv') {
      socket.setKeepAlive(true, keepAliveApplied.delayMs);
    } else {
      const tunable = socket.setKeepAlive as (
        enable: boolean,
        delayMs: number,
        intervalMs: number,
        count: number,
      ) => net.Socket;
      const { delayMs, intervalMs, probes } = keepAliveApplied;
      // Both, always: given a 0 for one of them, libuv sets SO_KEEPALIVE alone and the delay is
      // lost too (the kernel's two hours apply). The one left out gets libuv's own value.
      tunable.call(
        socket,
        true,
        delayMs,
        intervalMs === 'libuv' ? LIBUV_KEEPALIVE.intervalMs : intervalMs,
        probes === 'libuv' ? LIBUV_KEEPALIVE.probes : probes,
      );
    }
    applied.keepAlive = keepAliveApplied;
  }
  if (idleTimeoutMs !== undefined) {
    socket.setTimeout(idleTimeoutMs);
    applied.idleTimeoutMs = idleTimeoutMs;
  }
  return applied;
}

function resolveKeepAlive(keepAlive: KeepAliveOptions | false): AppliedSocketOptions['keepAlive'] {
  if (keepAlive === false) return false;
  if (typeof keepAlive !== 'object' || keepAlive === null) {
    throw new TypeError('keepAlive must be false or an object { delayMs, intervalMs, probes }');
  }
  const delayMs = checkInteger(
    'keepAlive.delayMs',
    keepAlive.delayMs ?? DEFAULT_KEEPALIVE_DELAY_MS,
    1_000,
    KEEPALIVE_MAX_DELAY_MS,
  );
  const tuned = (name: 'intervalMs' | 'probes', max: number, min: number): number | 'libuv' => {
    const value = keepAlive[name];
    if (value === undefined) return 'libuv';
    if (!KEEPALIVE_TUNING_SUPPORTED) {
      throw new TypeError(
        `keepAlive.${name} needs socket.setKeepAlive(enable, delay, interval, count), which Node ${process.version} lacks; leave it out and libuv's ${name === 'probes' ? '10 probes' : '1 s interval'} applies`,
      );
    }
    return checkInteger(`keepAlive.${name}`, value, min, max);
  };
  return {
    delayMs: Math.floor(delayMs / 1_000) * 1_000,
    intervalMs: tuned('intervalMs', KEEPALIVE_MAX_DELAY_MS, 1_000),
    probes: tuned('probes', KEEPALIVE_MAX_PROBES, 1),
  };
}

/** What {@link readSocketOptions} can see of a TCP socket. */
export interface SocketOptionsReading {
  /** `socket.timeout`: the idle timeout set with `setTimeout`, 0 when off. */
  readonly idleTimeoutMs: number;
  /**
   * The kernel's timer on this connection, from `/proc/net/tcp` (as `ss -tnoi` shows it):
   * `'keepalive'` with the time until the next probe when keepalive is on and the connection is
   * idle, `'none'` when no timer is pending, or another kind (a retransmission) that hides it.
   */
  readonly timer: { readonly kind: string; readonly ms: number };
}

/** Clock ticks per second of `/proc/net/tcp`'s timer column (`USER_HZ`; 100 on every Linux port Node runs on). */
const USER_HZ = 100;

/**
 * Reads back what the kernel shows of a connected TCP socket. Linux only (it reads
 * `/proc/net/tcp` and `/proc/net/tcp6` through stage 1's `readSocketTable`); Node itself has no
 * getter for `TCP_NODELAY` or `SO_KEEPALIVE`.
 * @throws rejects with stage 1's `BASICS_ERR_UNSUPPORTED_PLATFORM` elsewhere, and with a
 *   `TypeError` when the socket is not connected or its row is not in the table
 * @example
 * applySocketOptions(socket, { keepAlive: { delayMs: 30_000 } });
 * (await readSocketOptions(socket)).timer; // { kind: 'keepalive', ms: 29990 }
 */
export async function readSocketOptions(socket: net.Socket): Promise<SocketOptionsReading> {
  if (!(socket instanceof net.Socket)) throw new TypeError('socket must be a net.Socket');
  const { localPort, remotePort } = socket;
  if (localPort === undefined || remotePort === undefined) {
    throw new TypeError('socket must be connected');
  }
  const rows = await readSocketTable({ protocols: ['tcp', 'tcp6'] });
  const row = rows.find(
    (entry) =>
      entry.localPort === localPort &&
      entry.remotePort === remotePort &&
      entry.state === 'ESTABLISHED',
  );
  if (row === undefined) {
    throw new TypeError(`no established socket ${localPort} → ${remotePort} in /proc/net/tcp`);
  }
  return {
    idleTimeoutMs: socket.timeout ?? 0,
    timer: { kind: row.timer.kind, ms: (row.timer.ticks * 1_000) / USER_HZ },
  };
}
