import type { Frame, FrameToEncode, ParsedFrame } from '../../exercises/02-parse-frame/exercise.ts';
import { WebSocketError } from '../../src/errors.ts';
import { encodeFrame as encodeFrameBuffers, maskPayload } from '../../src/frame/index.ts';

export type { Frame, FrameToEncode, ParsedFrame };

/**
 * One frame from the start of `bytes`, in one pass over the header: each length form says how
 * many more bytes the header needs, and short input is `undefined` at every step. The library's
 * `FrameParser` does the same incrementally (across chunks, without copying), with the rules
 * this exercise leaves out: masking by role, reserved bits and opcodes, control frames, limits.
 */
export function parseFrame(bytes: Uint8Array): ParsedFrame | undefined {
  if (bytes.length < 2) return undefined;
  const b0 = bytes[0] as number;
  const b1 = bytes[1] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let length = b1 & 0x7f;
  let at = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = view.getUint16(2);
    at = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    const high = view.getUint32(2);
    if (high >= 0x8000_0000) {
      throw new WebSocketError(
        'WEBSOCKET_ERR_PROTOCOL',
        'the 64-bit payload length has its most significant bit set (RFC 6455 §5.2)',
        { closeCode: 1002 },
      );
    }
    length = high * 0x1_0000_0000 + view.getUint32(6);
    at = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const keyAt = at;
  if (masked) at += 4;
  if (bytes.length < at + length) return undefined;
  // A copy (Buffer's slice() would be a view), so unmasking leaves the input as it was.
  const payload = new Uint8Array(bytes.subarray(at, at + length));
  if (masked) maskPayload(payload, bytes.subarray(keyAt, keyAt + 4));
  const frame: Frame = {
    fin: (b0 & 0x80) !== 0,
    rsv1: (b0 & 0x40) !== 0,
    rsv2: (b0 & 0x20) !== 0,
    rsv3: (b0 & 0x10) !== 0,
    opcode: b0 & 0x0f,
    masked,
    payload,
  };
  return { frame, bytesUsed: at + length };
}

/** The library's encoder (it also refuses unknown opcodes and bad control frames), joined into one buffer. */
export function encodeFrame(frame: FrameToEncode): Uint8Array {
  const { fin, opcode, payload, maskKey } = frame;
  return Buffer.concat(
    encodeFrameBuffers(
      maskKey === undefined ? { fin, opcode, payload } : { fin, opcode, payload, mask: maskKey },
    ),
  );
}
