/**
 * The vocabulary of the reactor: what a handle can be ready for, what the demultiplexer reports,
 * and what a handler is. No I/O here: the demultiplexer is an interface, so the same reactor runs
 * over scripted events in a test and over real sockets in {@link SocketDemultiplexer}.
 */

/** What a handle can be ready for, as `EPOLLIN` / `EPOLLOUT` (or `POLLIN` / `POLLOUT`). */
export const READINESS = ['readable', 'writable'] as const;

/** One of {@link READINESS}. */
export type Readiness = (typeof READINESS)[number];

/**
 * A registered I/O source, as a small integer: the reactor's file descriptor. The caller chooses
 * it (the socket demultiplexer hands them out when a socket is added), the reactor never does.
 */
export type ReactorHandle = number;

/** One readiness event from a wait: `handle` can be read from and/or written to without blocking. */
export interface ReadyEvent {
  readonly handle: ReactorHandle;
  readonly readable: boolean;
  readonly writable: boolean;
}

/**
 * What the reactor waits on: `select`, `poll`, `epoll` or `kqueue` behind three calls. Its events
 * are level-triggered: a handle still ready at the next wait is reported again.
 */
export interface Demultiplexer {
  /**
   * Sets the events wanted for `handle` (`epoll_ctl(ADD/MOD)`); an empty list keeps the handle
   * known but reports nothing for it. Takes effect from the next {@link wait}.
   */
  watch(handle: ReactorHandle, interest: readonly Readiness[]): void;
  /** Forgets `handle` (`epoll_ctl(DEL)`); a handle it does not know is ignored. */
  unwatch(handle: ReactorHandle): void;
  /**
   * Resolves with the handles ready now for what they are watched for, waiting at most
   * `timeoutMs` when none is (`epoll_wait`); `undefined` waits until one is. May resolve with no
   * events: at the timeout, or after a wake-up that left nothing ready.
   */
  wait(timeoutMs: number | undefined): Promise<readonly ReadyEvent[]>;
}

/**
 * What the reactor calls when a handle is ready. Each callback does one unit of work (one read,
 * one write) and returns `true` when more work is waiting, so the reactor can call it again
 * within this turn's budget and then move on to the next handle (fairness).
 */
export interface ReactorHandler {
  /** The handle can be read without blocking. Return `true` if it has more to read. */
  onReadable?(handle: ReactorHandle): boolean | undefined;
  /** The handle can be written without blocking. Return `true` if it has more to write. */
  onWritable?(handle: ReactorHandle): boolean | undefined;
}

/** The only thing the reactor needs of time: a reading in milliseconds (only differences count). */
export interface ReactorClock {
  now(): number;
}

/** What one turn of the loop did, for tests, logs and the lesson. */
export interface TurnSummary {
  /** The timeout the turn passed to `wait()`: `undefined` for "until something is ready". */
  readonly waitedMs: number | undefined;
  /** Readiness events the wait returned. */
  readonly events: number;
  /** Handler calls made (`onReadable` and `onWritable` together). */
  readonly dispatches: number;
  /** Handles that still had work when their budget ran out; next turn dispatches them again. */
  readonly carried: number;
  /** Timer callbacks run. */
  readonly timers: number;
}
