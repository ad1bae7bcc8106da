// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** The longest payload accepted when no limit is given: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** An incremental decoder for one stream: bytes in, whole payloads out. */
export interface LengthFrameDecoder {
  /**
   * Feeds the bytes that just arrived (any number: one byte, half a header, thousands of frames)
   * and returns the payloads they complete, in order; `[]` when more bytes are needed.
   * Throws an Error with `code: 'TCPUDP_ERR_FRAME_TOO_LARGE'` as soon as a header declares more
   * than `maxFrameBytes`, before any of the body arrives.
   */
  push(chunk: Uint8Array): Buffer[];
  /**
   * The stream has ended. Throws an Error with `code: 'TCPUDP_ERR_TRUNCATED'` when part of a
   * frame (a piece of a header, or a body shorter than declared) is still waiting.
   */
  end(): void;
}

/**
 * Encodes one payload as a frame: its length as a 4-byte unsigned big-endian integer, then the
 * payload. Throws an Error with `code: 'TCPUDP_ERR_FRAME_TOO_LARGE'` when the payload is longer
 * than `maxFrameBytes`.
 * @example encodeFrame(Buffer.from('hi')) // <00 00 00 02 68 69>
 */
export function encodeFrame(
  payload: Uint8Array,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Buffer {
  // TODO: refuse a payload longer than maxFrameBytes (code TCPUDP_ERR_FRAME_TOO_LARGE).
  // TODO: write the length into a 4-byte header (Buffer.alloc(4), writeUInt32BE) and join it
  //       with the payload (Buffer.concat).
  throw new Error('not implemented yet: read exercises/03-length-prefix/README.md');
}

/**
 * A fresh decoder for one stream, refusing frames longer than `maxFrameBytes`.
 * @example
 * const decoder = createFrameDecoder(1024);
 * decoder.push(Buffer.from([0, 0, 0])); // []
 * decoder.push(Buffer.from([2, 0x68, 0x69])); // [<68 69>]
 */
export function createFrameDecoder(
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): LengthFrameDecoder {
  // TODO: keep the state of one stream here: the bytes received and not yet used (a list of
  //       chunks, or one buffer and an offset), and the length of the frame being read (if known).
  return {
    push(chunk) {
      // TODO: add the chunk to what is waiting.
      // TODO: loop: while at least 4 bytes wait and no length is known, read the length; if it
      //       is over maxFrameBytes, throw (code TCPUDP_ERR_FRAME_TOO_LARGE) now, not later.
      // TODO: while a length is known and that many bytes wait, cut out the payload, add it to
      //       the result, and go round again for the next header. Otherwise stop: need more.
      throw new Error('not implemented yet: read exercises/03-length-prefix/README.md');
    },
    end() {
      // TODO: if any byte of an unfinished frame is still waiting, throw
      //       (code TCPUDP_ERR_TRUNCATED); otherwise the stream ended cleanly.
      throw new Error('not implemented yet: read exercises/03-length-prefix/README.md');
    },
  };
}
