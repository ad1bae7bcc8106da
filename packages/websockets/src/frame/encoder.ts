/**
 * Writing RFC 6455 §5.2 frames: a pure function of its input, except for a random masking key
 * when one is asked for with `mask: true`.
 */
import { randomFillSync } from 'node:crypto';
import {
  CLOSE_REASON_MAX_BYTES,
  CONTROL_MAX_PAYLOAD_BYTES,
  isControlOpcode,
  isKnownOpcode,
  isValidCloseCodeOnWire,
} from './constants.ts';
import { MASK_KEY_BYTES, maskWithKey, WORDS_FROM_BYTES } from './mask.ts';

/** What {@link encodeFrame} writes. */
export interface EncodeFrameOptions {
  /** This is the final fragment of its message. @default true */
  fin?: boolean;
  /** One of the opcodes RFC 6455 defines (0, 1, 2, 8, 9, 10). */
  opcode: number;
  /** The payload. @default empty */
  payload?: Uint8Array;
  /**
   * The 4-byte masking key, or `true` for a fresh random one (`crypto.randomFillSync`, as
   * RFC 6455 §5.3 asks: unpredictable). A client masks every frame; a server never does.
   * @default no masking
   */
  mask?: Uint8Array | true;
  /** Reserved bits, for a negotiated extension (permessage-deflate sets `rsv1`). @default false */
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
}

/** The header's length, using the minimal length encoding (7 bits, then 16, then 64). */
function headerLength(length: number, masked: boolean): number {
  return 2 + (length < 126 ? 0 : length < 0x1_0000 ? 2 : 8) + (masked ? MASK_KEY_BYTES : 0);
}

/**
 * Writes the header of a frame (RFC 6455 §5.2) at the start of `target`, up to (not including)
 * the masking key, using the minimal length encoding: 7 bits up to 125, 16 bits up to 65535,
 * 64 bits beyond.
 */
function writeHeader(
  target: Buffer,
  options: EncodeFrameOptions,
  length: number,
  masked: boolean,
): void {
  target[0] =
    ((options.fin ?? true) ? 0x80 : 0) |
    (options.rsv1 ? 0x40 : 0) |
    (options.rsv2 ? 0x20 : 0) |
    (options.rsv3 ? 0x10 : 0) |
    options.opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    target[1] = maskBit | length;
  } else if (length < 0x1_0000) {
    target[1] = maskBit | 126;
    target.writeUInt16BE(length, 2);
  } else {
    target[1] = maskBit | 127;
    target.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    target.writeUInt32BE(length >>> 0, 6);
  }
}

/**
 * Encodes one frame. Unmasked, it returns `[header, payload]` (the payload itself, not a copy;
 * just `[header]` when it is empty), ready for `socket.write()` or `writev`. Masked, it returns
 * one new buffer holding the header, the key and a masked copy of the payload: the caller's
 * payload is never changed.
 *
 * @returns the buffers to write, in order.
 * @throws {TypeError} when `opcode` is not one RFC 6455 defines; {RangeError} when a control
 *   frame is fragmented or its payload is over 125 bytes, or a masking key is not 4 bytes.
 * @see RFC 6455 §5.2, §5.3, §5.5
 * @example
 * ```ts
 * Buffer.concat(encodeFrame({ opcode: OPCODES.TEXT, payload: Buffer.from('Hello') }));
 * // <81 05 48 65 6c 6c 6f> (RFC 6455 §5.7)
 * ```
 */
export function encodeFrame(options: EncodeFrameOptions): Buffer[] {
  const { opcode } = options;
  if (!Number.isInteger(opcode) || !isKnownOpcode(opcode)) {
    throw new TypeError(`opcode must be 0, 1, 2, 8, 9 or 10, got ${String(opcode)}`);
  }
  const payload = options.payload ?? Buffer.alloc(0);
  if (isControlOpcode(opcode)) {
    if (options.fin === false) {
      throw new RangeError(`a control frame (opcode ${opcode}) cannot be fragmented (fin: false)`);
    }
    if (payload.length > CONTROL_MAX_PAYLOAD_BYTES) {
      throw new RangeError(
        `a control frame's payload must be at most ${CONTROL_MAX_PAYLOAD_BYTES} bytes, got ${payload.length}`,
      );
    }
  }
  const { mask } = options;
  const length = payload.length;
  if (mask === undefined) {
    const header = Buffer.allocUnsafe(headerLength(length, false));
    writeHeader(header, options, length, false);
    if (length === 0) return [header];
    return [
      header,
      Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    ];
  }
  let key: Uint8Array;
  if (mask === true) {
    key = randomFillSync(Buffer.allocUnsafe(MASK_KEY_BYTES));
  } else {
    if (mask.length !== MASK_KEY_BYTES) {
      throw new RangeError(`mask must be ${MASK_KEY_BYTES} bytes, got ${mask.length}`);
    }
    key = mask;
  }
  // One buffer: the header, the key, then the payload masked on its way in.
  const at = headerLength(length, true);
  const out = Buffer.allocUnsafe(at + length);
  writeHeader(out, options, length, true);
  const k0 = key[0] as number;
  const k1 = key[1] as number;
  const k2 = key[2] as number;
  const k3 = key[3] as number;
  out[at - 4] = k0;
  out[at - 3] = k1;
  out[at - 2] = k2;
  out[at - 1] = k3;
  if (length < WORDS_FROM_BYTES) {
    for (let i = 0; i < length; i++) {
      const r = i & 3;
      out[at + i] = (payload[i] as number) ^ (r === 0 ? k0 : r === 1 ? k1 : r === 2 ? k2 : k3);
    }
  } else {
    out.set(payload, at);
    maskWithKey(out.subarray(at), k0, k1, k2, k3, 0);
  }
  return [out];
}

/**
 * The payload of a close frame: a 2-byte status code then a UTF-8 reason (RFC 6455 §5.5.1), or
 * nothing at all when `code` is omitted.
 *
 * @param code - a code valid on the wire ({@link isValidCloseCodeOnWire}). @default none
 * @param reason - at most 123 bytes once UTF-8 encoded; needs a `code`. @default ''
 * @throws {RangeError} when `code` may not be sent or `reason` is too long; {TypeError} when a
 *   reason comes without a code or holds a lone surrogate (it would not be valid UTF-8).
 * @see RFC 6455 §5.5.1, §7.4
 * @example
 * ```ts
 * encodeClosePayload(1000, 'bye'); // <03 e8 62 79 65>
 * ```
 */
export function encodeClosePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('a close reason needs a close code');
    return Buffer.alloc(0);
  }
  if (!isValidCloseCodeOnWire(code)) {
    throw new RangeError(
      `code must be 1000–1003, 1007–1014 or 3000–4999 (RFC 6455 §7.4), got ${String(code)}`,
    );
  }
  // A lone surrogate would be sent as U+FFFD by the encoder: refuse it instead of changing it.
  if (/\p{Cs}/u.test(reason)) {
    throw new TypeError('reason holds a lone surrogate, which is not valid UTF-8');
  }
  const bytes = Buffer.byteLength(reason, 'utf8');
  if (bytes > CLOSE_REASON_MAX_BYTES) {
    throw new RangeError(
      `reason must be at most ${CLOSE_REASON_MAX_BYTES} bytes of UTF-8, got ${bytes}`,
    );
  }
  const payload = Buffer.allocUnsafe(2 + bytes);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}

/**
 * Encodes a whole close frame (see {@link encodeClosePayload} and {@link encodeFrame}).
 *
 * @param code - the status code to send. @default none (an empty close frame)
 * @param reason - at most 123 bytes of UTF-8. @default ''
 * @param options - `mask`, as for {@link encodeFrame} (a client must mask).
 * @throws {RangeError}, {TypeError} as {@link encodeClosePayload} does.
 * @see RFC 6455 §5.5.1
 * @example
 * ```ts
 * Buffer.concat(encodeClose(1000)); // <88 02 03 e8>
 * ```
 */
export function encodeClose(
  code?: number,
  reason = '',
  options: Pick<EncodeFrameOptions, 'mask'> = {},
): Buffer[] {
  const payload = encodeClosePayload(code, reason);
  return encodeFrame(
    options.mask === undefined
      ? { opcode: 0x8, payload }
      : { opcode: 0x8, payload, mask: options.mask },
  );
}
