/**
 * An incremental reader of RFC 6455 §5.2 frames: bytes in, whole frames out. Short input is
 * normal (it waits for more); only malformed input throws, with the close code to answer it.
 */
import { checkInteger } from '@socketlab/internal';
import { WebSocketError } from '../errors.ts';
import { CONTROL_MAX_PAYLOAD_BYTES, isControlOpcode, isKnownOpcode } from './constants.ts';
import { MASK_KEY_BYTES, maskWithKey } from './mask.ts';

/** The default of `maxPayloadBytes` (and of the assembler's `maxMessageBytes`): 16 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** The longest frame header: 2 bytes, an 8-byte extended length and a 4-byte masking key. */
export const FRAME_MAX_HEADER_BYTES = 14;

/** Which end of the connection reads the frames: it decides which frames must be masked. */
export type FrameRole = 'server' | 'client';

/** A reserved bit of the first header byte that an extension may give a meaning to. */
export type ReservedBit = 'rsv1' | 'rsv2' | 'rsv3';

/** One frame as read from the wire, its payload already unmasked. */
export interface Frame {
  /** This is the final fragment of a message. */
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  /** 0–2 and 8–10 (the parser refuses the reserved opcodes). */
  opcode: number;
  /** The frame was masked on the wire (`payload` is unmasked all the same). */
  masked: boolean;
  /**
   * The application data (with any extension data), unmasked. A view of the chunk pushed when
   * the whole payload arrived in one chunk; a new buffer when it spanned several.
   */
  payload: Buffer;
}

/** Payload bytes of a frame not complete yet: see {@link FrameParser.partialPayload}. */
export interface PartialPayload {
  /** The frame's opcode. */
  opcode: number;
  /** The frame's RSV1 bit (set on the first frame of a message compressed by permessage-deflate). */
  rsv1: boolean;
  /** The bytes, unmasked. */
  piece: Buffer;
}

/** Options of {@link FrameParser}. */
export interface FrameParserOptions {
  /**
   * Who reads: a `'server'` requires every frame to be masked (RFC 6455 §5.1: a client masks
   * everything it sends), a `'client'` requires none to be.
   */
  role: FrameRole;
  /** The largest frame payload accepted, checked as soon as the length arrives. @default 16 MiB */
  maxPayloadBytes?: number;
  /**
   * Reserved bits a negotiated extension gives a meaning to (permessage-deflate uses `'rsv1'`).
   * Any other reserved bit set fails the connection. @default []
   */
  allowedReservedBits?: readonly ReservedBit[];
}

/**
 * Reads RFC 6455 frames from a byte stream, in whatever pieces the stream delivers them.
 *
 * Every check that can be made from the header is made as soon as the bytes that decide it
 * arrive, before any payload: reserved bits, reserved opcodes, a fragmented or long control frame,
 * masking against `role`, a 64-bit length with its most significant bit set, and
 * `maxPayloadBytes`.
 *
 * A length written with more bytes than needed (126 then a 16-bit value under 126, or 127 then a
 * 64-bit value under 65536) is **accepted**: RFC 6455 §5.2 binds the sender ("the minimal number
 * of bytes MUST be used"), and receivers in practice (browsers, the Autobahn test suite) do not
 * fail on it. {@link encodeFrame} always writes the minimal form.
 *
 * `push()` takes ownership of its chunk: masked payloads are unmasked in place, and a payload that
 * lies within one chunk is returned as a view of it (no copy). After an error the parser is
 * broken: every later `push()` throws the same error.
 *
 * @throws {WebSocketError} from `push()`: `WEBSOCKET_ERR_PROTOCOL` (`closeCode` 1002) or
 *   `WEBSOCKET_ERR_MESSAGE_TOO_BIG` (`closeCode` 1009).
 * @see RFC 6455 §5.2–§5.5
 * @example
 * ```ts
 * const parser = new FrameParser({ role: 'client' });
 * parser.push(Buffer.from([0x81, 0x05, 0x48, 0x65])); // [] (need more)
 * parser.push(Buffer.from('llo'))[0]?.payload.toString(); // 'Hello'
 * ```
 */
export class FrameParser {
  /** The largest payload accepted. */
  readonly maxPayloadBytes: number;
  private readonly role: FrameRole;
  /** The reserved bits (as a mask of the first header byte) an extension allows. */
  private readonly allowedRsv: number;
  /** Reading the payload (else a header). */
  private inPayload = false;
  /** A header split across chunks is gathered here (allocated the first time one is). */
  private header: Buffer | undefined;
  private headerCount = 0;
  /** Header bytes needed: 2 until the second byte says how many more. */
  private headerNeed = 2;
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private masked = false;
  /** The masking key's four bytes (numbers: no buffer per connection). */
  private k0 = 0;
  private k1 = 0;
  private k2 = 0;
  private k3 = 0;
  private payloadLength = 0;
  private readonly pieces: Buffer[] = [];
  private received = 0;
  private failed: WebSocketError | undefined;
  private partial: PartialPayload | undefined;

  /**
   * @throws {TypeError} when an option is of the wrong kind; {RangeError} when
   *   `maxPayloadBytes` is outside 0 to 2^53 − 1.
   */
  constructor(options: FrameParserOptions) {
    if (options.role !== 'server' && options.role !== 'client') {
      throw new TypeError(`role must be 'server' or 'client', got ${String(options.role)}`);
    }
    this.role = options.role;
    this.maxPayloadBytes = checkInteger(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      0,
    );
    let allowed = 0;
    for (const bit of options.allowedReservedBits ?? []) {
      if (bit === 'rsv1') allowed |= 0x40;
      else if (bit === 'rsv2') allowed |= 0x20;
      else if (bit === 'rsv3') allowed |= 0x10;
      else
        throw new TypeError(
          `allowedReservedBits must hold 'rsv1', 'rsv2' or 'rsv3', got ${String(bit)}`,
        );
    }
    this.allowedRsv = allowed;
  }

  /**
   * The payload bytes that the last `push()` received of a frame it could not complete yet
   * (unmasked, a view of the chunk), or `undefined`. At most one frame per push is incomplete:
   * the last one. Pass it to {@link MessageAssembler.pushPiece} after the frames `push()`
   * returned, so invalid UTF-8 fails before the rest of a long frame arrives. The whole frame
   * is still returned by a later `push()`.
   */
  get partialPayload(): PartialPayload | undefined {
    return this.partial;
  }

  /** Bytes received that belong to a frame not yet complete. */
  get bufferedBytes(): number {
    return this.inPayload ? this.headerCount + this.received : this.headerCount;
  }

  /**
   * Feeds the next bytes of the stream.
   * @param chunk - the bytes; the parser may unmask them in place and return views of them.
   * @param frames - where to append the frames completed by this chunk. @default []
   * @returns `frames`. Frames completed before an error in the same chunk are in `frames` when
   *   the caller passed its own array.
   * @throws {WebSocketError} when the stream breaks RFC 6455 §5 or a limit (see the class).
   */
  push(chunk: Uint8Array, frames: Frame[] = []): Frame[] {
    if (this.failed !== undefined) throw this.failed;
    this.partial = undefined;
    const data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      let at = 0;
      while (at < data.length) {
        if (!this.inPayload) {
          at = this.readHeader(data, at);
          if (!this.inPayload) break;
        }
        const need = this.payloadLength - this.received;
        const available = data.length - at;
        if (available >= need) {
          let payload = data.subarray(at, at + need);
          if (this.masked) this.unmask(payload);
          if (this.pieces.length > 0) {
            this.pieces.push(payload);
            payload = Buffer.concat(this.pieces, this.payloadLength);
            this.pieces.length = 0;
          }
          at += need;
          frames.push(this.takeFrame(payload));
        } else if (available > 0) {
          const piece = data.subarray(at);
          if (this.masked) this.unmask(piece);
          this.pieces.push(piece);
          this.partial = { opcode: this.opcode, rsv1: (this.rsv & 0x40) !== 0, piece };
          this.received += available;
          at = data.length;
        } else {
          break;
        }
      }
    } catch (err) {
      this.failed = err as WebSocketError;
      throw err;
    }
    return frames;
  }

  /**
   * Reads a header from `data` at `at`: in place when all of it is in `data` (the usual case),
   * else gathered byte by byte across pushes. Validates it and moves to the payload when it is
   * complete; returns where reading stopped.
   */
  private readHeader(data: Buffer, at: number): number {
    if (this.headerCount === 0 && data.length - at >= 2) {
      const b0 = data[at] as number;
      const b1 = data[at + 1] as number;
      const length = b1 & 0x7f;
      const need =
        2 +
        (length === 126 ? 2 : length === 127 ? 8 : 0) +
        ((b1 & 0x80) !== 0 ? MASK_KEY_BYTES : 0);
      if (data.length - at >= need) {
        this.checkFirstBytes(b0, b1);
        this.startPayload(data, at);
        this.headerCount = need;
        return at + need;
      }
    }
    this.header ??= Buffer.alloc(FRAME_MAX_HEADER_BYTES);
    const header = this.header;
    let i = at;
    while (i < data.length && this.headerCount < this.headerNeed) {
      header[this.headerCount++] = data[i++] as number;
      if (this.headerCount === 2) this.checkFirstBytes(header[0] as number, header[1] as number);
    }
    if (this.headerCount < this.headerNeed) return i;
    this.startPayload(header, 0);
    return i;
  }

  /** Reads the length and masking key of the complete header at `bytes[start]`. */
  private startPayload(bytes: Buffer, start: number): void {
    let length = (bytes[start + 1] as number) & 0x7f;
    let next = start + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(start + 2);
      next = start + 4;
    } else if (length === 127) {
      const high = bytes.readUInt32BE(start + 2);
      if (high >= 0x8000_0000) {
        throw this.protocol(
          'the 64-bit payload length has its most significant bit set (RFC 6455 §5.2)',
        );
      }
      length = high * 0x1_0000_0000 + bytes.readUInt32BE(start + 6);
      next = start + 10;
    }
    if (length > this.maxPayloadBytes) {
      throw new WebSocketError(
        'WEBSOCKET_ERR_MESSAGE_TOO_BIG',
        `a frame declares a ${length}-byte payload, over maxPayloadBytes (${this.maxPayloadBytes})`,
        { closeCode: 1009 },
      );
    }
    if (this.masked) {
      this.k0 = bytes[next] as number;
      this.k1 = bytes[next + 1] as number;
      this.k2 = bytes[next + 2] as number;
      this.k3 = bytes[next + 3] as number;
    }
    this.payloadLength = length;
    this.received = 0;
    this.inPayload = true;
  }

  /** Unmasks payload bytes in place; `received` says where they start in the payload. */
  private unmask(bytes: Buffer): void {
    maskWithKey(bytes, this.k0, this.k1, this.k2, this.k3, this.received);
  }

  /** Checks what the first two header bytes decide, and how many header bytes follow. */
  private checkFirstBytes(b0: number, b1: number): void {
    this.fin = (b0 & 0x80) !== 0;
    this.rsv = b0 & 0x70;
    this.opcode = b0 & 0x0f;
    this.masked = (b1 & 0x80) !== 0;
    const length = b1 & 0x7f;
    if ((this.rsv & ~this.allowedRsv) !== 0) {
      throw this.protocol(
        `a reserved bit is set (first byte 0x${b0.toString(16)}) that no extension allows (RFC 6455 §5.2)`,
      );
    }
    if (!isKnownOpcode(this.opcode)) {
      throw this.protocol(`opcode ${this.opcode} is reserved (RFC 6455 §5.2)`);
    }
    if (isControlOpcode(this.opcode)) {
      if (!this.fin) {
        throw this.protocol(
          `a control frame (opcode ${this.opcode}) is fragmented (RFC 6455 §5.5)`,
        );
      }
      if (length > CONTROL_MAX_PAYLOAD_BYTES) {
        throw this.protocol(
          `a control frame (opcode ${this.opcode}) declares a payload over ${CONTROL_MAX_PAYLOAD_BYTES} bytes (RFC 6455 §5.5)`,
        );
      }
    }
    if (this.role === 'server' && !this.masked) {
      throw this.protocol('a frame from the client is not masked (RFC 6455 §5.1)');
    }
    if (this.role === 'client' && this.masked) {
      throw this.protocol('a frame from the server is masked (RFC 6455 §5.1)');
    }
    this.headerNeed =
      2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (this.masked ? MASK_KEY_BYTES : 0);
  }

  private takeFrame(payload: Buffer): Frame {
    const frame: Frame = {
      fin: this.fin,
      rsv1: (this.rsv & 0x40) !== 0,
      rsv2: (this.rsv & 0x20) !== 0,
      rsv3: (this.rsv & 0x10) !== 0,
      opcode: this.opcode,
      masked: this.masked,
      payload,
    };
    this.inPayload = false;
    this.headerCount = 0;
    this.headerNeed = 2;
    this.payloadLength = 0;
    this.received = 0;
    return frame;
  }

  private protocol(message: string): WebSocketError {
    return new WebSocketError('WEBSOCKET_ERR_PROTOCOL', message, { closeCode: 1002 });
  }
}
