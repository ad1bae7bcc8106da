/**
 * Every stable error code `@socketlab/basics` raises. Codes never change meaning; the package
 * README lists each with what causes it and what to do.
 */
export const BASICS_ERROR_CODES = [
  'BASICS_ERR_INVALID_ENDPOINT',
  'BASICS_ERR_INVALID_ADDRESS',
  'BASICS_ERR_INVALID_PORT',
  'BASICS_ERR_DNS',
  'BASICS_ERR_TIMEOUT',
  'BASICS_ERR_CONNECTION',
  'BASICS_ERR_INVALID_TRANSITION',
  'BASICS_ERR_UNSUPPORTED_PLATFORM',
  'BASICS_ERR_PARSE',
] as const;

/** One of {@link BASICS_ERROR_CODES}. */
export type BasicsErrorCode = (typeof BASICS_ERROR_CODES)[number];

/** The base of every error `@socketlab/basics` raises: check `code`, never the message. */
export class BasicsError extends Error {
  override name = 'BasicsError';
  constructor(
    readonly code: BasicsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Input that is not a valid endpoint, address or port (from a user, a config file or the network). */
export class InvalidInputError extends BasicsError {
  override name = 'InvalidInputError';
  constructor(
    code: 'BASICS_ERR_INVALID_ENDPOINT' | 'BASICS_ERR_INVALID_ADDRESS' | 'BASICS_ERR_INVALID_PORT',
    message: string,
    /** The offending input, truncated to 100 characters. */
    readonly input: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Shows untrusted input in a message: quoted, escaped, and cut to a readable length. */
export function quoteInput(input: unknown, max = 100): string {
  const text = typeof input === 'string' ? input : String(input);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
