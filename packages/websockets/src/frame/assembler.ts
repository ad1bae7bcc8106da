/**
 * Messages from frames (RFC 6455 §5.4, §5.5, §8.1): joins fragments, validates text as it
 * arrives, delivers control frames at once, and reads close frames' code and reason.
 */
import { checkInteger } from '@socketlab/internal';
import { WebSocketError } from '../errors.ts';
import { isControlOpcode, isValidCloseCodeOnWire, OPCODES } from './constants.ts';
import type { Frame } from './parser.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './parser.ts';
import { Utf8Validator } from './utf8.ts';

/** What {@link MessageAssembler} delivers, in the order the frames arrived. */
export type MessageAssemblerEvent =
  /** A whole text message, validated as UTF-8. */
  | { type: 'text'; data: string }
  /** A whole binary message. */
  | { type: 'binary'; data: Buffer }
  | { type: 'ping'; data: Buffer }
  | { type: 'pong'; data: Buffer }
  /**
   * A close frame. `code` is 1005 (RFC 6455 §7.1.5: no status received) when the frame had no
   * payload, and `reason` is then empty.
   */
  | { type: 'close'; code: number; reason: string };

/** Options of {@link MessageAssembler}. */
export interface MessageAssemblerOptions {
  /** The largest message accepted, all its fragments together. @default 16 MiB */
  maxMessageBytes?: number;
}

/**
 * Joins frames into messages. It fails the connection (throws) on a continuation frame with no
 * message started or a new text or binary frame while one is in progress (1002); on text that is
 * not UTF-8, as soon as a fragment proves it so, before the message is complete (1007); on a
 * message over `maxMessageBytes` (1009); and on a close frame whose payload is 1 byte or whose
 * code may not be sent (1002), or whose reason is not UTF-8 (1007). Ping, pong and close frames
 * between the fragments of a message are delivered at once.
 *
 * It reads the payloads as they are: an extension (permessage-deflate) must act on the frames
 * before they reach it. After an error every later `push()` throws the same error.
 *
 * @throws {WebSocketError} from `push()`: `WEBSOCKET_ERR_PROTOCOL` (`closeCode` 1002),
 *   `WEBSOCKET_ERR_INVALID_UTF8` (1007) or `WEBSOCKET_ERR_MESSAGE_TOO_BIG` (1009).
 * @see RFC 6455 §5.4, §5.5.1, §7.4, §8.1
 * @example
 * ```ts
 * const parser = new FrameParser({ role: 'client' });
 * const messages = new MessageAssembler();
 * const wire = Buffer.from([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]); // RFC 6455 §5.7
 * parser.push(wire).flatMap((frame) => messages.push(frame)); // [{ type: 'text', data: 'Hello' }]
 * // To fail fast inside long frames too, after each push():
 * const partial = parser.partialPayload;
 * if (partial) messages.pushPiece(partial.opcode, partial.piece);
 * ```
 */
export class MessageAssembler {
  /** The largest message accepted. */
  readonly maxMessageBytes: number;
  /** The opcode of the message in progress (text or binary), or 0 when none is. */
  private messageOpcode = 0;
  private readonly fragments: Buffer[] = [];
  private messageBytes = 0;
  private readonly utf8 = new Utf8Validator();
  /** Whether pushPiece() has already started the data frame in progress. */
  private frameStarted = false;
  /** Bytes of the data frame in progress already checked by pushPiece(). */
  private frameChecked = 0;
  private failed: WebSocketError | undefined;

  /**
   * @throws {TypeError} when `maxMessageBytes` is not an integer; {RangeError} when it is below 0.
   */
  constructor(options: MessageAssemblerOptions = {}) {
    this.maxMessageBytes = checkInteger(
      'maxMessageBytes',
      options.maxMessageBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      0,
    );
  }

  /** Whether a fragmented message has started and not ended. */
  get inMessage(): boolean {
    return this.messageOpcode !== 0;
  }

  /**
   * Takes the next frame.
   * @param events - where to append what this frame completes. @default []
   * @returns `events`: nothing for a fragment that does not end a message.
   * @throws {WebSocketError} when the frame breaks RFC 6455 (see the class).
   */
  push(frame: Frame, events: MessageAssemblerEvent[] = []): MessageAssemblerEvent[] {
    if (this.failed !== undefined) throw this.failed;
    try {
      this.take(frame, events);
    } catch (err) {
      this.failed = err as WebSocketError;
      throw err;
    }
    return events;
  }

  /**
   * Takes a piece of a data frame's payload before the frame is complete (the parser's
   * `partialPayload`, given after the frames of the same push), so a text message fails as soon
   * as a byte makes it invalid UTF-8, and a message as soon as it passes `maxMessageBytes`,
   * without waiting for the end of a long frame. The pieces are checked, not kept: the whole
   * frame still goes to `push()`, which checks only the bytes the pieces did not cover. Pieces
   * of control frames are ignored. Give it no pieces of frames an extension must transform first
   * (rsv1 set under permessage-deflate): their bytes are not the message's.
   * @throws {WebSocketError} as `push()` does.
   */
  pushPiece(opcode: number, piece: Uint8Array): void {
    if (this.failed !== undefined) throw this.failed;
    if (isControlOpcode(opcode)) return;
    try {
      if (!this.frameStarted) this.startFrame(opcode);
      this.check(piece);
      this.frameChecked += piece.length;
    } catch (err) {
      this.failed = err as WebSocketError;
      throw err;
    }
  }

  /** Checks the frame's place in the message sequence; starts a message for text or binary. */
  private startFrame(opcode: number): void {
    switch (opcode) {
      case OPCODES.TEXT:
      case OPCODES.BINARY:
        if (this.messageOpcode !== 0) {
          throw protocol(
            `a new ${opcode === OPCODES.TEXT ? 'text' : 'binary'} frame arrived while a fragmented message was in progress (RFC 6455 §5.4)`,
          );
        }
        this.messageOpcode = opcode;
        this.messageBytes = 0;
        this.utf8.reset();
        break;
      case OPCODES.CONTINUATION:
        if (this.messageOpcode === 0) {
          throw protocol('a continuation frame arrived with no message started (RFC 6455 §5.4)');
        }
        break;
      default:
        throw protocol(`opcode ${opcode} is reserved (RFC 6455 §5.2)`);
    }
    this.frameStarted = true;
  }

  /** Counts `bytes` against `maxMessageBytes` and, in a text message, validates them. */
  private check(bytes: Uint8Array): void {
    this.messageBytes += bytes.length;
    if (this.messageBytes > this.maxMessageBytes) {
      throw new WebSocketError(
        'WEBSOCKET_ERR_MESSAGE_TOO_BIG',
        `a message passes maxMessageBytes (${this.maxMessageBytes}) with ${this.messageBytes} bytes so far`,
        { closeCode: 1009 },
      );
    }
    if (this.messageOpcode === OPCODES.TEXT && !this.utf8.push(bytes)) {
      throw invalidUtf8(`a text message is not valid UTF-8 (after ${this.messageBytes} bytes)`);
    }
  }

  private take(frame: Frame, events: MessageAssemblerEvent[]): void {
    const { opcode, payload } = frame;
    if (opcode === OPCODES.PING || opcode === OPCODES.PONG) {
      events.push({ type: opcode === OPCODES.PING ? 'ping' : 'pong', data: payload });
      return;
    }
    if (opcode === OPCODES.CLOSE) {
      events.push(readClose(payload));
      return;
    }
    if (!this.frameStarted) this.startFrame(opcode);
    // Bytes already checked by pushPiece() are not checked again.
    this.check(this.frameChecked === 0 ? payload : payload.subarray(this.frameChecked));
    this.frameStarted = false;
    this.frameChecked = 0;
    if (!frame.fin) {
      if (payload.length > 0) this.fragments.push(payload);
      return;
    }
    const data =
      this.fragments.length === 0
        ? payload
        : Buffer.concat([...this.fragments, payload], this.messageBytes);
    this.fragments.length = 0;
    const text = this.messageOpcode === OPCODES.TEXT;
    this.messageOpcode = 0;
    if (text) {
      if (!this.utf8.end()) {
        throw invalidUtf8('a text message ends in the middle of a UTF-8 sequence');
      }
      events.push({ type: 'text', data: data.toString('utf8') });
    } else {
      events.push({ type: 'binary', data });
    }
  }
}

/**
 * Reads a close frame's payload: empty, or a 2-byte code valid on the wire and a UTF-8 reason.
 * @throws {WebSocketError} `WEBSOCKET_ERR_PROTOCOL` (1002) for a 1-byte payload or a code that
 *   may not be sent; `WEBSOCKET_ERR_INVALID_UTF8` (1007) for a reason that is not UTF-8.
 * @see RFC 6455 §5.5.1, §7.4
 */
function readClose(payload: Buffer): MessageAssemblerEvent {
  if (payload.length === 0) return { type: 'close', code: 1005, reason: '' };
  if (payload.length === 1) {
    throw protocol('a close frame has a 1-byte payload: a status code takes 2 (RFC 6455 §5.5.1)');
  }
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCodeOnWire(code)) {
    throw protocol(`a close frame carries code ${code}, which may not be sent (RFC 6455 §7.4)`);
  }
  const reason = payload.subarray(2);
  const utf8 = new Utf8Validator();
  if (!utf8.push(reason) || !utf8.end()) {
    throw invalidUtf8("a close frame's reason is not valid UTF-8 (RFC 6455 §5.5.1)");
  }
  return { type: 'close', code, reason: reason.toString('utf8') };
}

function protocol(message: string): WebSocketError {
  return new WebSocketError('WEBSOCKET_ERR_PROTOCOL', message, { closeCode: 1002 });
}

function invalidUtf8(message: string): WebSocketError {
  return new WebSocketError('WEBSOCKET_ERR_INVALID_UTF8', message, { closeCode: 1007 });
}
