import type { LengthFrameDecoder } from '../../exercises/03-length-prefix/exercise.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/framing/codec.ts';
import { lengthPrefixCodec } from '../../src/framing/length-prefix.ts';

export type { LengthFrameDecoder };
export { DEFAULT_MAX_FRAME_BYTES };

/**
 * Encodes one payload behind a u32 big-endian length. The library's codec also offers
 * `encodeParts`, which returns the header and the payload separately so nothing is copied.
 */
export function encodeFrame(
  payload: Uint8Array,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Buffer {
  return lengthPrefixCodec({ maxFrameBytes }).encode(payload);
}

/**
 * The library's decoder: it keeps a list of chunk views, copies each byte at most once, returns
 * frames that fit in one chunk as views of it, and refuses a long frame from its header alone.
 */
export function createFrameDecoder(
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): LengthFrameDecoder {
  return lengthPrefixCodec({ maxFrameBytes }).createDecoder();
}
