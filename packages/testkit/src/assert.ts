import { printable } from './bytes.ts';
import { DEFAULT_WAIT_MS, withTimeout } from './wait.ts';

/** An error as a spec receives it: narrow it to the expected class with `as`. */
// biome-ignore lint/suspicious/noExplicitAny: callers narrow the error to their own class with `as`
export type Thrown = Error & Record<string, any>;

/**
 * Calls `fn` and returns the Error it threw. Fails (throws) when `fn` returns instead, when it
 * throws something that is not an Error, or when the error is an exercise starter's
 * "not implemented yet" stub: a spec that accepts the stub's throw as "rejected the input" would
 * pass against an untouched starter. `hint` (a lesson section to read, say) ends each of those
 * failure messages.
 * @example const err = thrownBy(() => decoder.end(), 'end() after half a header', lesson.see('The end'));
 */
export function thrownBy(fn: () => unknown, what = 'the call', hint?: string): Thrown {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return asThrown(err, `${what} should throw an Error object, but threw`, what, hint);
  }
  throw failure(`${what} should throw, but returned ${shown(result)}`, hint);
}

/**
 * The async twin of {@link thrownBy}: awaits `promise` (at most `timeoutMs`) and returns the Error
 * it rejected with. Fails when it resolves instead, rejects with something that is not an Error,
 * rejects with a starter's "not implemented yet" stub, or does not settle in time (a timeout is
 * never mistaken for the rejection under test).
 * @example const err = await rejectionOf(read(port, 'nope'), 'reading a missing file', lesson.see('ERROR packets'));
 */
export async function rejectionOf(
  promise: Promise<unknown>,
  what = 'the call',
  hint?: string,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Thrown> {
  const settled = await withTimeout(
    promise.then(
      (value) => ({ resolved: true as const, value }),
      (err: unknown) => ({ resolved: false as const, err }),
    ),
    `${what} to settle`,
    timeoutMs,
  );
  if (settled.resolved) {
    throw failure(`${what} should reject, but resolved with ${shown(settled.value)}`, hint);
  }
  return asThrown(
    settled.err,
    `${what} should reject with an Error object, but rejected with`,
    what,
    hint,
  );
}

function asThrown(err: unknown, notAnError: string, what: string, hint?: string): Thrown {
  if (!(err instanceof Error)) {
    throw failure(`${notAnError} ${printable(String(err))}`, hint);
  }
  if (/not implemented yet/.test(err.message)) {
    throw failure(`${what}: this is still the starter's stub (${err.message})`, hint);
  }
  return err as Thrown;
}

function failure(message: string, hint: string | undefined): Error {
  return new Error(hint ? `${message}\n${hint}` : message);
}

function shown(value: unknown): string {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return printable(value);
  return printable(String(JSON.stringify(value)));
}
