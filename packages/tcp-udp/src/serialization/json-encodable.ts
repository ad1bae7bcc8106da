/**
 * The walk {@link encodeJson} runs before `JSON.stringify`: it refuses every value that
 * `JSON.stringify` would change or drop without a word. Internal.
 */
import { LimitExceededError, SerializationError } from '../errors.ts';

/**
 * Throws when `value` (at `path`, `depth` levels down) cannot go into JSON unchanged: a
 * non-finite number, a bigint, a function, a symbol, `undefined` (except as an object property,
 * which JSON leaves out as intended), a class instance without `toJSON` (a `Map` becomes `{}`),
 * or nesting deeper than `maxDepth`, which is also where a cycle ends.
 */
export function checkEncodable(
  value: unknown,
  path: string,
  depth: number,
  maxDepth: number,
): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SerializationError(
          `${path} is ${value}, which JSON cannot carry (JSON.stringify writes null)`,
        );
      }
      return;
    case 'object':
      break;
    default:
      throw new SerializationError(
        `${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}, which JSON cannot carry${typeof value === 'bigint' ? ' (send it as a string)' : ''}`,
      );
  }
  if (value === null) return;
  if (depth >= maxDepth) {
    throw new LimitExceededError(
      'TCPUDP_ERR_LIMIT_EXCEEDED',
      `${path} is nested deeper than maxDepth ${maxDepth} (or the value has a cycle)`,
      maxDepth,
      depth + 1,
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      checkEncodable(value[i], `${path}[${i}]`, depth + 1, maxDepth);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return;
    throw new SerializationError(
      `${path} is a ${proto?.constructor?.name ?? 'class instance'}, which JSON.stringify would write as {}`,
    );
  }
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue; // an absent optional property: JSON leaves it out, as intended
    checkEncodable(item, `${path}.${key}`, depth + 1, maxDepth);
  }
}
