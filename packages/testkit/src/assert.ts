import { printable } from './bytes.ts';

/** An error as a spec receives it: narrow it to the expected class with `as`. */
// biome-ignore lint/suspicious/noExplicitAny: callers narrow the error to their own class with `as`
export type Thrown = Error & Record<string, any>;

/**
 * Calls `fn` and returns the Error it threw. Fails (throws) when `fn` returns instead, when it
 * throws something that is not an Error, or when the error is an exercise starter's
 * "not implemented yet" stub: a spec that accepts the stub's throw as "rejected the input" would
 * pass against an untouched starter.
 */
export function thrownBy(fn: () => unknown, what = 'the call'): Thrown {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    if (!(err instanceof Error)) {
      throw new Error(`${what} should throw an Error object, but threw ${printable(String(err))}`);
    }
    if (/not implemented yet/.test(err.message)) {
      throw new Error(`${what}: this is still the starter's stub (${err.message})`);
    }
    return err as Thrown;
  }
  throw new Error(
    `${what} should throw, but returned ${printable(String(JSON.stringify(result)))}`,
  );
}
