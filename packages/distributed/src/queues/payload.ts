/**
 * Decoding a message body, which arrives from whoever could publish to the queue: bounded in
 * size, JSON, then the caller's own check. Every refusal is `DISTRIBUTED_ERR_PAYLOAD`. Pure.
 */
import { quoteInput } from '@socketlab/internal';
import { DistributedError } from '../errors.ts';

/**
 * Parses `content` as JSON and passes the value through `parse`.
 * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` when it is over `maxBytes`, not JSON, or
 * refused by `parse` (its error is the `cause`).
 */
export function decodeJsonBody<T>(
  content: Buffer,
  maxBytes: number,
  parse: (value: unknown) => T,
): T {
  if (content.length > maxBytes)
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `message of ${content.length} bytes is over maxMessageBytes (${maxBytes})`,
    );
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch (cause) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `message body is not JSON: ${quoteInput(content, 60)}`,
      { cause },
    );
  }
  try {
    return parse(value);
  } catch (cause) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      `message body refused by parse: ${errorText(cause)}`,
      { cause },
    );
  }
}

/** An error's message for a header or a log line, cut at 500 characters. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
