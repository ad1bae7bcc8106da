/**
 * Internal helpers shared by the framing codecs (not re-exported from the package).
 * @internal
 */
import { checkInteger } from '@socketlab/internal';
import { LimitExceededError } from '../errors.ts';

/** Validates a `maxFrameBytes` option; `upper` is what the header format can express. */
export function checkMaxFrameBytes(
  value: number | undefined,
  fallback: number,
  upper: number,
): number {
  return checkInteger('maxFrameBytes', value ?? fallback, 0, upper);
}

/** The error every codec raises for a frame over its limit. */
export function frameTooLarge(
  codec: string,
  actual: number,
  limit: number,
  when: 'declared' | 'buffered' | 'encoding',
): LimitExceededError {
  const what =
    when === 'declared'
      ? `a frame declares ${actual} bytes`
      : when === 'buffered'
        ? `${actual} bytes arrived without the end of the frame`
        : `cannot encode a payload of ${actual} bytes`;
  return new LimitExceededError(
    'TCPUDP_ERR_FRAME_TOO_LARGE',
    `${codec} framing: ${what}, over maxFrameBytes ${limit}`,
    limit,
    actual,
  );
}

/**
 * Views of received chunks not yet part of a complete frame. Joining copies each byte once, so
 * a frame that arrives in n chunks costs O(frame) rather than O(n × frame).
 * @internal
 */
export class PendingBytes {
  private readonly parts: Uint8Array[] = [];
  /** Total bytes held. */
  length = 0;

  add(part: Uint8Array): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.length += part.length;
  }

  /** Joins what is held, followed by `tail`, into one buffer, and empties the list. */
  take(tail: Uint8Array): Buffer {
    const total = this.length + tail.length;
    const out =
      this.parts.length === 0 ? asBuffer(tail) : Buffer.concat([...this.parts, tail], total);
    this.parts.length = 0;
    this.length = 0;
    return out;
  }
}

/** A `Buffer` view of `bytes` without copying. @internal */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
