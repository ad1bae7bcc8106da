// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/**
 * Time and one-shot timers. Take every time reading and every timer from here, never from
 * `Date.now()` or the global `setTimeout`/`setInterval`: the grader passes a clock it moves by
 * hand, so a beat happens exactly when it says, with no real waiting.
 */
export interface Clock {
  /** The current time in ms; only differences between readings matter. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `performance.now()` and Node's timers (for running the server by hand). */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link startHeartbeatServer}. */
export interface HeartbeatServerOptions {
  /** Port to listen on; 0 lets the kernel choose. @default 0 */
  port?: number;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** How often a `PING` goes to each client, in ms; the first one interval after it connects. */
  heartbeatIntervalMs: number;
  /** PINGs in a row left unanswered after which the client is taken for dead and cut. */
  maxMissedHeartbeats: number;
  /** Close (with a notice) a client that sent no message for this long, in ms; 0 = never. */
  idleTimeoutMs: number;
  /** Where time comes from: every beat, every timeout and every reading of the time. @default realClock */
  clock?: Clock;
}

/** What startHeartbeatServer resolves with: the port it listens on, and a way to stop it. */
export interface RunningHeartbeatServer {
  /** The port the server listens on (the kernel's choice when you asked for port 0). */
  port: number;
  /** Stops accepting, closes every open connection and stops every timer. */
  close(): Promise<void>;
}

/**
 * Starts a line echo server that watches its clients (exercises/02-heartbeats/README.md):
 * `PING\n` every `heartbeatIntervalMs`, answered by `PONG\n`; a client that leaves
 * `maxMissedHeartbeats` PINGs in a row unanswered is cut; a client that sends no message for
 * `idleTimeoutMs` is told `MULTIPLEXING_ERR_IDLE_TIMEOUT …` and closed. Any other line is echoed.
 * @example await startHeartbeatServer({ heartbeatIntervalMs: 1000, maxMissedHeartbeats: 3, idleTimeoutMs: 30_000 });
 */
export async function startHeartbeatServer(
  options: HeartbeatServerOptions,
): Promise<RunningHeartbeatServer> {
  // TODO: const clock = options.clock ?? realClock; take all time and timers from it.
  // TODO: per connection: its pending bytes, a `misses` count, an `answered` flag and the time
  // of its last message.
  // TODO: a line `PING` is answered `PONG`; `PONG` marks the PING answered; any other line is
  // echoed, marks the PING answered AND restarts the idle clock.
  // TODO: every heartbeatIntervalMs (clock.setTimeout, armed again at each beat): count a miss
  // if the last PING went unanswered (else reset the count); at maxMissedHeartbeats cut the
  // connection (destroy, no notice); else send PING.
  // TODO: idle: after idleTimeoutMs without a message, write the notice line, then end().
  // TODO: clear the timers on 'close'; handle 'error'; resolve with { port, close }.
  throw new Error('not implemented yet: read exercises/02-heartbeats/README.md');
}
