/**
 * The limits on what a client sends over Socket.IO: stage 4's flood guard on every namespace of
 * the app's server (the default one and the feeds' `/telemetry` and `/prices`). Each socket has a
 * token bucket of events (`eventsPerSecond`, `eventBurst`); an event past it is dropped before any
 * handler runs (its ack answered `{ error: { code: 'REALTIME_ERR_RATE_LIMITED', reason } }`), and a
 * socket that keeps on is sent `realtime:error` `{ code, reason }` and disconnected. A payload nested
 * deeper than 32 levels or with more than 10,000 values disconnects its sender at once
 * (`REALTIME_ERR_PAYLOAD`). The size of one message (64 KiB) and the time to join a namespace
 * (10 s) are bounded by stage 4's `createRealtimeServer`, which stage 5's service makes the server
 * with: the same values `floodGuardServerOptions()` gives.
 */
import { createFloodGuard, type FloodGuard, type RateClock } from '@socketlab/websockets/realtime';
import type { Namespace, Server } from 'socket.io';
import type { NotifyLimits } from '../contract.ts';

/**
 * The flood guard of one app, from its limits. Made before anything opens: a bad limit throws here.
 * @throws {RangeError} for a limit that is not a finite number > 0.
 */
export function createSocketGuard(
  limits: Pick<NotifyLimits, 'eventsPerSecond' | 'eventBurst'>,
  options: { readonly clock?: RateClock } = {},
): FloodGuard {
  return createFloodGuard({
    eventsPerSecond: limits.eventsPerSecond,
    eventBurst: limits.eventBurst,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/**
 * Puts every socket of `io`, on each of its namespaces (those made later too), under `guard`'s
 * event and payload limits.
 *
 * Only `guard.protect`, not `guard.install`: the guard's per-address connection limit would key
 * every client on the proxy's address behind deploy/nginx.conf (the app reads no
 * `X-Forwarded-For`), so all users together would share one address's 2 connections a second.
 * Connections need a user token, which only a sender with an API key can issue.
 */
export function guardNamespaces(io: Server, guard: FloodGuard): void {
  const protect = (namespace: Namespace) => namespace.on('connection', guard.protect);
  for (const namespace of io._nsps.values()) protect(namespace);
  io.on('new_namespace', protect);
}
