// Shared with every area of this package; not part of the public API (see @socketlab/internal).
export { quoteInput } from '@socketlab/internal';

/**
 * Every stable error code `@socketlab/distributed` raises. Codes never change meaning; the
 * package README lists each with what causes it and what to do.
 */
export const DISTRIBUTED_ERROR_CODES = [
  /** A broker or service (Redis, NATS, RabbitMQ, Mosquitto) could not be reached or went away. */
  'DISTRIBUTED_ERR_UNAVAILABLE',
  /** An operation across instances or a broker did not answer in time. */
  'DISTRIBUTED_ERR_TIMEOUT',
  /** A message from a broker or a peer service is not what its contract says. */
  'DISTRIBUTED_ERR_PAYLOAD',
  /** A signature (a webhook's HMAC) does not verify, or its timestamp is outside the window. */
  'DISTRIBUTED_ERR_SIGNATURE',
  /** A bound was reached: a queue, a buffer or a retry budget is full. */
  'DISTRIBUTED_ERR_LIMIT',
] as const;

/** One of {@link DISTRIBUTED_ERROR_CODES}. */
export type DistributedErrorCode = (typeof DISTRIBUTED_ERROR_CODES)[number];

/** The base of every error `@socketlab/distributed` raises: check `code`, never the message. */
export class DistributedError extends Error {
  override name = 'DistributedError';
  constructor(
    readonly code: DistributedErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
