/**
 * The shared shape of every framing codec in this package: a pure encoder and an incremental,
 * pure decoder. TCP (and a Unix stream socket) deliver a byte stream with no message boundaries,
 * so a decoder must give the same frames for every way the stream is cut into chunks.
 */
/**
 * An incremental decoder: bytes in, complete frames out. Short input is normal ("need more"):
 * `push` then simply returns no frame. Only malformed input throws. After a throw the decoder is
 * failed and every later `push`/`end` throws the same error.
 *
 * A frame that arrived inside one pushed chunk is returned as a view of that chunk (no copy);
 * a frame that spans chunks is copied once into its own buffer. The decoder may keep views of
 * pushed chunks until their frame completes, so do not modify a chunk after pushing it.
 */
export interface FrameDecoder {
  /**
   * Feeds the bytes that just arrived.
   * @param chunk - The bytes, in stream order.
   * @param into - Where to append the frames found (a new array when omitted). When `push`
   *   throws, `into` already holds the frames that came before the bad one, so a caller can
   *   deliver them first: the frames before an error are the same for every chunking.
   * @returns `into`, with the frames completed by these bytes appended in order (often none).
   * @throws {ProtocolError} `TCPUDP_ERR_MALFORMED` for bytes that cannot be a frame.
   * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` as soon as a frame is known to be
   *   longer than `maxFrameBytes` (before its body arrives).
   */
  push(chunk: Uint8Array, into?: Buffer[]): Buffer[];
  /**
   * Declares the end of the stream.
   * @throws {ProtocolError} `TCPUDP_ERR_TRUNCATED` when part of a frame is still buffered.
   */
  end(): void;
  /** Bytes received that are not yet part of a complete frame. */
  readonly bufferedBytes: number;
}

/** A framing: how one payload becomes bytes on a stream, and back. */
export interface FrameCodec {
  /** Short name for messages and logs, e.g. `'u32'`, `'varint'`, `'line'`. */
  readonly name: string;
  /** The longest payload this codec encodes or accepts, in bytes. */
  readonly maxFrameBytes: number;
  /**
   * Encodes one payload as a list of buffers to write in order (header, payload, trailer), so a
   * large payload is never copied. The payload itself is one of the parts: do not modify it
   * before the write completes.
   * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` when the payload is too long.
   */
  encodeParts(payload: Uint8Array): Uint8Array[];
  /** {@link FrameCodec.encodeParts} joined into one new buffer. Same errors. */
  encode(payload: Uint8Array): Buffer;
  /** A fresh decoder for one stream (decoders hold per-stream state; never share one). */
  createDecoder(): FrameDecoder;
}

/** Options common to every codec. */
export interface FrameCodecOptions {
  /**
   * The longest payload accepted, in bytes, checked by the encoder and by the decoder as soon as
   * the length is known (a length prefix) or the buffered bytes pass it (a line).
   * @default 16 MiB for length prefixes, 64 KiB for lines
   */
  maxFrameBytes?: number;
}

/** Default `maxFrameBytes` of the length-prefixed codecs: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
