// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** One frame as read from the wire (RFC 6455 §5.2), its payload already unmasked. */
export interface Frame {
  /** This is the final fragment of its message (the top bit of byte 0). */
  fin: boolean;
  /** The three reserved bits, as they were on the wire (an extension may give them a meaning). */
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  /** The low 4 bits of byte 0: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  /** The frame carried a masking key (the top bit of byte 1). */
  masked: boolean;
  /** The payload, unmasked: a new array or a view, but never the input changed in place. */
  payload: Uint8Array;
}

/** What {@link parseFrame} returns for a whole frame: the frame, and how many bytes it took. */
export interface ParsedFrame {
  frame: Frame;
  /** The frame's size on the wire (header, masking key, payload): where the next frame starts. */
  bytesUsed: number;
}

/** What {@link encodeFrame} writes. */
export interface FrameToEncode {
  /** This is the final fragment of its message. */
  fin: boolean;
  /** 0, 1, 2, 8, 9 or 10. */
  opcode: number;
  /** The payload, unmasked. It must not be changed: mask a copy. */
  payload: Uint8Array;
  /** A 4-byte masking key: when given, the frame is masked with it (a client's frames are). */
  maskKey?: Uint8Array;
}

/**
 * Reads ONE frame from the start of `bytes` (exercises/02-parse-frame/README.md). Returns
 * `undefined` when `bytes` holds only part of a frame (need more bytes: never an error), else the
 * frame and `bytesUsed`; any bytes after the frame are left alone. `bytes` itself is not changed.
 * Throws an Error with `closeCode: 1002` when a 64-bit length has its most significant bit set.
 * @example parseFrame(Uint8Array.of(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)); // text "Hello", bytesUsed 7
 */
export function parseFrame(bytes: Uint8Array): ParsedFrame | undefined {
  // TODO: fewer than 2 bytes → undefined. Byte 0: fin, rsv1–3, opcode. Byte 1: mask bit, length.
  // TODO: the length: 0–125 as it is; 126 → the next 2 bytes (big-endian); 127 → the next 8
  //       bytes (big-endian, all 64 bits; throw with closeCode 1002 if the top bit is set).
  //       Not all of those bytes here yet → undefined.
  // TODO: masked → the 4-byte key follows. Then the payload: not all here yet → undefined.
  // TODO: unmask a COPY: payload[i] ^ key[i % 4]. Return the frame and bytesUsed.
  throw new Error('not implemented yet: read exercises/02-parse-frame/README.md');
}

/**
 * Writes one frame: the shortest length form (7 bits up to 125, 16 bits up to 65535, 64 bits
 * beyond), then the masking key and the masked payload when `maskKey` is given.
 * @example encodeFrame({ fin: true, opcode: 1, payload: Buffer.from('Hello') }); // <81 05 48 65 6c 6c 6f>
 */
export function encodeFrame(frame: FrameToEncode): Uint8Array {
  // TODO: byte 0 = (fin ? 0x80 : 0) | opcode. Byte 1 = (masked ? 0x80 : 0) | length code.
  // TODO: the extended length, if any, big-endian; then the key, then the (masked copy of the) payload.
  throw new Error('not implemented yet: read exercises/02-parse-frame/README.md');
}
