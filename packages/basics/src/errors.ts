// Shared with every area of this package; not part of the public API (see @socketlab/internal).
export { quoteInput } from '@socketlab/internal';

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
  'BASICS_ERR_LIMIT_EXCEEDED',
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

/** `String(value)` cut to 100 characters, or its type when it cannot be turned into text. */
function shortText(value: unknown): string {
  try {
    return String(value).slice(0, 100);
  } catch {
    return `(${typeof value})`;
  }
}

/**
 * An event the TCP state machine does not accept in the state it is in (`BASICS_ERR_INVALID_TRANSITION`).
 * `allowed` lists the events that state does accept.
 */
export class InvalidTransitionError extends BasicsError {
  override name = 'InvalidTransitionError';
  /** The state the machine was in, as given (cut to 100 characters). */
  readonly state: string;
  /** The event that was refused, as given (cut to 100 characters). */
  readonly event: string;
  constructor(
    message: string,
    state: unknown,
    event: unknown,
    /** The events that state accepts. */
    readonly allowed: readonly string[],
    options?: ErrorOptions,
  ) {
    super('BASICS_ERR_INVALID_TRANSITION', message, options);
    this.state = shortText(state);
    this.event = shortText(event);
  }
}

/**
 * Text that could not be parsed, such as a malformed line of `/proc/net/tcp` (`BASICS_ERR_PARSE`).
 */
export class ParseError extends BasicsError {
  override name = 'ParseError';
  /** The offending text, cut to 100 characters. */
  readonly input: string;
  constructor(
    message: string,
    input: unknown,
    /** The 1-based line number of the offending text, when it came from a file with lines. */
    readonly line?: number,
    options?: ErrorOptions,
  ) {
    super('BASICS_ERR_PARSE', message, options);
    this.input = shortText(input);
  }
}
