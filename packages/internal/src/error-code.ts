/** The longest `code` read from a foreign error (a hostile value cannot flood a message). */
const CODE_MAX_LENGTH = 100;

/**
 * The `code` of a Node system or stream error (`ECONNREFUSED`, `ERR_STREAM_DESTROYED`, …) or of
 * any error that carries one: a non-empty string, cut to 100 characters; otherwise `undefined`.
 * Never throws on an ordinary value (`null`, a string, a number).
 *
 * @example errorCode(Object.assign(new Error('boom'), { code: 'EPIPE' })); // 'EPIPE'
 */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code.slice(0, CODE_MAX_LENGTH) : undefined;
}
