import type { EventEmitter } from 'node:events';

/** Raised when a bounded wait runs out; the message names what was awaited. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  readonly code = 'TESTKIT_ERR_TIMEOUT';
  constructor(
    readonly what: string,
    readonly ms: number,
    /** Set when a count bound ended the wait before its time bound did. */
    readonly tries?: number,
  ) {
    super(
      tries === undefined
        ? `timed out after ${ms} ms waiting for ${what}`
        : `gave up after ${tries} tries (the count bound; ${ms} ms were allowed) waiting for ${what}`,
    );
  }
}

/** The default bound on any single wait in a test, in milliseconds. */
export const DEFAULT_WAIT_MS = 5_000;

/**
 * Settles like `promise`, or rejects with {@link WaitTimeoutError} after `ms`.
 * The timer is always cleared, so a finished wait never keeps the process alive.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms = DEFAULT_WAIT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(what, ms)), ms);
    timer.unref();
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the arguments of the next `event` on `emitter`, bounded by `ms`.
 * An `'error'` event first rejects with that error (unless `event` is `'error'`).
 */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  ms = DEFAULT_WAIT_MS,
): Promise<T> {
  let cleanup = (): void => {};
  const settled = new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      cleanup();
      resolve(args as T);
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(err);
    };
    emitter.once(event, onEvent);
    if (event !== 'error') emitter.once('error', onError);
    cleanup = () => {
      emitter.off(event, onEvent);
      emitter.off('error', onError);
    };
  });
  return withTimeout(settled, `'${event}' event`, ms).finally(() => cleanup());
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, bounded in time and in
 * count. For state that emits no event (the kernel's socket table, a file appearing); prefer
 * {@link nextEvent} whenever there is an event to await.
 *
 * The count bound defaults to what `ms` allows at `intervalMs` apart, so the time bound is the one
 * that is reached: a fixed default count once ended a 90 s wait after about 10 s on a loaded
 * machine, and the error then named the 90 s. A `maxTries` given explicitly still ends the wait
 * early, and the error says which bound ran out.
 */
export async function pollUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  {
    ms = DEFAULT_WAIT_MS,
    intervalMs = 10,
    maxTries = Math.ceil(ms / Math.max(1, intervalMs)) + 1,
  } = {},
): Promise<T> {
  const deadline = Date.now() + ms;
  let tries = 0;
  while (tries < maxTries && Date.now() < deadline) {
    tries++;
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
  }
  throw new WaitTimeoutError(what, ms, Date.now() < deadline ? tries : undefined);
}
