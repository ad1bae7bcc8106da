/**
 * The room chat's heartbeat, for a raw line stream that has no ping frame (the connection
 * manager's heartbeats need a transport that can ping): a client that sent nothing for one
 * interval is sent a ping line, and one that stays silent for `maxMissed` intervals in a row is
 * taken for gone — a peer that vanished without FIN (power loss, a pulled cable, a NAT that
 * forgot the flow) sends nothing, and TCP alone would hold its connection for hours. As IRC's
 * PING/PONG (RFC 1459 §4.6.2), the client must answer; any line does. Time comes from a clock.
 */
import type { ConnectionClock } from '../connections/index.ts';

/** One client's heartbeat: see {@link watchChatHeartbeat}. */
export interface ChatHeartbeat {
  /** The client sent something: it is alive. */
  heard(): void;
  /** Stops the timer (the client left). */
  stop(): void;
}

/**
 * Starts one client's heartbeat. Every `intervalMs`: if the client sent nothing since the last
 * beat, `missed` grows and `ping()` is called, or `gone(missed)` once `missed` reaches
 * `maxMissed` (the timer then stops); anything heard resets `missed`.
 * @param clock - time and timers.
 * @param intervalMs - the beat, > 0.
 * @param maxMissed - silent intervals in a row before `gone`, ≥ 1.
 * @example
 * ```ts
 * const beat = watchChatHeartbeat(systemClock, 15_000, 2, {
 *   ping: () => socket.write('! ping\n'),
 *   gone: () => socket.destroy(),
 * });
 * socket.on('data', () => beat.heard());
 * ```
 */
export function watchChatHeartbeat(
  clock: ConnectionClock,
  intervalMs: number,
  maxMissed: number,
  on: { ping(): void; gone(missed: number): void },
): ChatHeartbeat {
  let heard = false;
  let missed = 0;
  let timer: unknown;
  const beat = (): void => {
    timer = undefined;
    if (heard) missed = 0;
    else missed++;
    heard = false;
    if (missed >= maxMissed) {
      on.gone(missed);
      return;
    }
    if (missed > 0) on.ping();
    timer = clock.setTimeout(beat, intervalMs);
  };
  timer = clock.setTimeout(beat, intervalMs);
  return {
    heard() {
      heard = true;
    },
    stop() {
      clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
