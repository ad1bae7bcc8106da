/**
 * Reading frames under permessage-deflate (RFC 7692 §6): compressed messages inflate
 * asynchronously, so frames wait in an inbox while one does, and every event keeps the order of
 * the wire. RSV1 is checked here: on a message's first frame only.
 */
import { WebSocketError } from '../errors.ts';
import type { DeflateContext } from '../extensions/index.ts';
import {
  type Frame,
  type FrameParser,
  isControlOpcode,
  type MessageAssembler,
  OPCODES,
} from '../frame/index.ts';

/** What the reader needs from its connection. */
export interface DeflateReaderHost {
  /** Gives one frame, inflated if it was compressed, to the assembler and acts on the events. */
  assemble(frame: Frame): void;
  /** Fails the connection with this error's close code. */
  fail(err: unknown): void;
  /** Nothing more is to be read (a close frame came, the connection failed or closed). */
  stopped(): boolean;
  /** Pauses (or resumes) the socket while an inflate is in progress. */
  pauseReading(on: boolean): void;
}

/**
 * Feeds socket bytes to the parser, inflates the fragments of compressed messages in order and
 * hands every frame to the host, in the order they arrived.
 */
export class DeflateReader {
  /** Frames read but not yet taken, while a compressed fragment inflates. */
  private readonly inbox: Frame[] = [];
  private inflating = false;
  /** The message in progress is compressed (its first frame had RSV1). */
  private compressedMessage = false;
  /** Pieces of the frame in progress were not given to the assembler: give it none of it. */
  private partialSkipped = false;
  /** A parse error met after frames still in `inbox`: failed once they are taken. */
  private pendingFailure: unknown;

  constructor(
    private readonly parser: FrameParser,
    private readonly assembler: MessageAssembler,
    private readonly context: DeflateContext,
    private readonly host: DeflateReaderHost,
  ) {}

  /** Reads the next bytes from the socket. */
  push(chunk: Buffer): void {
    const queued = this.inbox.length;
    try {
      this.parser.push(chunk, this.inbox);
    } catch (err) {
      this.pendingFailure = err;
    }
    // A frame completed: the partial frame, if any, is a new one whose pieces start here.
    if (this.inbox.length > queued) this.partialSkipped = false;
    this.takeInbox();
    const partial = this.parser.partialPayload;
    if (partial === undefined || this.host.stopped() || this.pendingFailure !== undefined) return;
    // The assembler must see every piece of a frame from its first, or none: none while earlier
    // frames wait, and none of a compressed message's (they are not the message's bytes).
    if (
      this.partialSkipped ||
      this.inflating ||
      this.inbox.length > 0 ||
      partial.rsv1 ||
      (partial.opcode === OPCODES.CONTINUATION && this.compressedMessage)
    ) {
      this.partialSkipped = true;
      return;
    }
    try {
      this.assembler.pushPiece(partial.opcode, partial.piece);
    } catch (err) {
      this.host.fail(err);
    }
  }

  /** Takes queued frames in order until one must inflate first; then a parse error, if any. */
  private takeInbox(): void {
    while (!this.inflating && this.inbox.length > 0) {
      if (this.host.stopped()) {
        this.inbox.length = 0;
        return;
      }
      this.takeDeflateFrame(this.inbox.shift() as Frame);
    }
    if (!this.inflating && this.pendingFailure !== undefined && !this.host.stopped()) {
      this.host.fail(this.pendingFailure);
    }
  }

  /** RFC 7692 §6.1: RSV1 marks a compressed message on its first frame, and nowhere else. */
  private takeDeflateFrame(frame: Frame): void {
    const control = isControlOpcode(frame.opcode);
    const continuation = frame.opcode === OPCODES.CONTINUATION;
    if (frame.rsv1 && (control || continuation)) {
      this.host.fail(
        new WebSocketError(
          'WEBSOCKET_ERR_PROTOCOL',
          `RSV1 is set on a ${continuation ? 'continuation' : 'control'} frame; permessage-deflate sets it only on a message's first frame (RFC 7692 §6.1)`,
          { closeCode: 1002 },
        ),
      );
      return;
    }
    if (control || (continuation && !this.compressedMessage)) {
      this.host.assemble(frame);
      return;
    }
    if (!continuation) {
      // A new message; while one is in progress the assembler refuses it (1002) unread.
      if (this.assembler.inMessage) {
        this.host.assemble({ ...frame, rsv1: false });
        return;
      }
      this.compressedMessage = frame.rsv1;
      if (!frame.rsv1) {
        this.host.assemble(frame);
        return;
      }
    }
    this.inflating = true;
    this.host.pauseReading(true);
    this.context.inflate(frame.payload, frame.fin).then(
      (data) => {
        this.inflating = false;
        this.host.pauseReading(false);
        if (this.host.stopped()) return;
        if (frame.fin) this.compressedMessage = false;
        this.host.assemble({ ...frame, rsv1: false, payload: data });
        this.takeInbox();
      },
      (err: unknown) => {
        this.inflating = false;
        this.host.pauseReading(false);
        if (!this.host.stopped()) this.host.fail(err);
      },
    );
  }
}
