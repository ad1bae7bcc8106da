import { printable } from './bytes.ts';

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
  const fail = (message: string): Error => new Error(hint ? `${message}\n${hint}` : message);
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    if (!(err instanceof Error)) {
      throw fail(`${what} should throw an Error object, but threw ${printable(String(err))}`);
    }
    if (/not implemented yet/.test(err.message)) {
      throw fail(`${what}: this is still the starter's stub (${err.message})`);
    }
    return err as Thrown;
  }
  throw fail(`${what} should throw, but returned ${printable(String(JSON.stringify(result)))}`);
}
