/**
 * What the notification benchmarks share: users connected over WebSocket to one or more
 * instances, each recording when its notifications arrive, and the percentile of a sample.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BENCH_QUICK, withTimeout } from '@socketlab/testkit';
import { io, type Socket } from 'socket.io-client';

export const USERS = BENCH_QUICK ? 50 : 1_000;
/** Bound on any single wait. */
export const STEP_MS = 60_000;
export const API_KEY = 'bench-key-0123456789abcdef';
export const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-!';
/** Limits out of the way: the benchmark measures the path, not the rate limiter. */
export const NO_LIMITS = { requestsPerSecond: 1_000_000, requestBurst: 1_000_000 };

setFlagsFromString('--expose-gc');
/** A full garbage collection. */
export const gc = runInNewContext('gc') as () => void;

/** `count` sockets, the `i`th to `urls[i % urls.length]` with `auth(i)`; each calls `onEvent(i, payload)`. */
export async function connectMany(
  urls: readonly string[],
  count: number,
  auth: (i: number) => Record<string, unknown>,
  event: string,
  onEvent: (i: number, payload: unknown) => void,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = io(urls[i % urls.length] as string, {
      transports: ['websocket'],
      reconnection: false,
      auth: auth(i),
    });
    socket.on(event, (payload: unknown) => onEvent(i, payload));
    sockets.push(socket);
  }
  await withTimeout(
    Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            s.once('connect', resolve);
            s.once('connect_error', reject);
          }),
      ),
    ),
    `${count} sockets to connect`,
    STEP_MS,
  );
  return sockets;
}

/** The `p`th percentile (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Resolves when `check()` is true, polling each `ms`, bounded by {@link STEP_MS}. */
export function until(check: () => boolean, what: string, ms = 1): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const tick = () => (check() ? resolve() : setTimeout(tick, ms).unref());
      tick();
    }),
    what,
    STEP_MS,
  );
}
