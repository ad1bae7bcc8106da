import { quoteInput } from '@socketlab/internal';

/** Throws a `TypeError` unless `options` is an object: the first check of every apply function. */
export function checkOptionsObject(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${quoteInput(options)}`);
  }
}
