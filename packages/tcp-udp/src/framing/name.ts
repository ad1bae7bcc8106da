/**
 * Framings chosen by name, as a command line or a config file names them.
 */
import type { FrameCodec } from './codec.ts';
import { lengthPrefixCodec, varintCodec } from './length-prefix.ts';
import { lineCodec } from './line-codec.ts';

/** The framings this package implements, by the name a CLI flag uses. */
export const FRAMING_NAMES = ['length', 'varint', 'line'] as const;

/**
 * A framing by name: `length` (u32 big-endian length prefix), `varint` (LEB128 length prefix)
 * or `line` (newline-delimited).
 */
export type FramingName = (typeof FRAMING_NAMES)[number];

/** True when `name` is one of {@link FRAMING_NAMES}. */
export function isFramingName(name: string): name is FramingName {
  return (FRAMING_NAMES as readonly string[]).includes(name);
}

/**
 * The codec for a framing name.
 *
 * @param framing - `length`, `varint` or `line`.
 * @param maxFrameBytes - The codec's limit; omitted, each codec's own default (16 MiB, or
 *   64 KiB for lines).
 * @throws {TypeError} for an unknown name. @throws {RangeError} for a bad `maxFrameBytes`.
 * @example
 * ```ts
 * const codec = codecForFraming('line', 1024); // same as lineCodec({ maxFrameBytes: 1024 })
 * ```
 */
export function codecForFraming(framing: FramingName, maxFrameBytes?: number): FrameCodec {
  const options = maxFrameBytes === undefined ? {} : { maxFrameBytes };
  switch (framing) {
    case 'length':
      return lengthPrefixCodec(options);
    case 'varint':
      return varintCodec(options);
    case 'line':
      return lineCodec(options);
    default:
      throw new TypeError(
        `framing must be one of ${FRAMING_NAMES.join(', ')}, got ${JSON.stringify(framing)}`,
      );
  }
}
