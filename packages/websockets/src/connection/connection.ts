/**
 * One open WebSocket, either end, over a byte stream after the opening handshake: socket →
 * FrameParser → MessageAssembler → events, and send()/ping()/close() → encodeFrame → socket.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { type ConnectionClock, systemClock } from '@socketlab/multiplexing';
import { WebSocketError } from '../errors.ts';
import { DeflateContext, resolveDeflateOptions } from '../extensions/index.ts';
import {
  encodeClosePayload,
  type Frame,
  FrameParser,
  type FrameRole,
  MessageAssembler,
  type MessageAssemblerEvent,
  OPCODES,
} from '../frame/index.ts';
import { DeflateReader } from './deflate-reader.ts';
import { FrameWriter } from './frame-writer.ts';
import { iterateMessages, type WebSocketMessage } from './message-iterator.ts';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  READY_STATES,
  type ReadyState,
  type SendOptions,
  type WebSocketConnectionEvents,
  type WebSocketConnectionOptions,
} from './options.ts';
import { SendQueue } from './send-queue.ts';

export type { WebSocketMessage } from './message-iterator.ts';

export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  type NegotiatedDeflate,
  READY_STATES,
  type ReadyState,
  type SendOptions,
  type WebSocketConnectionEvents,
  type WebSocketConnectionOptions,
} from './options.ts';

/** Bits of `readPauses`: why reading is paused. */
const READ_PAUSES = { reader: 1, inflate: 2 } as const;

/** Where a socket keeps the connection it carries, for the shared listeners below. */
const CONNECTION = Symbol('socketlab.websocket.connection');
type ConnectionSocket = Duplex & { [CONNECTION]: WebSocketConnection };

/** The socket listeners every connection shares; set by the class's static block. */
let socketListeners: {
  data(this: Duplex, chunk: Buffer): void;
  error(this: Duplex, err: Error): void;
  end(this: Duplex): void;
  close(this: Duplex): void;
  drain(this: Duplex): void;
};

/**
 * An open WebSocket connection (RFC 6455 §5–§7), server or client end, over a `net.Socket`,
 * a `tls.TLSSocket` or any `Duplex`, created once the opening handshake is done.
 *
 * Reads frames, joins messages and emits `'message'` (data, isBinary), `'ping'`, `'pong'`,
 * `'close'` (code, reason) and `'error'`; is also an async iterable of messages. Answers pings
 * with pongs echoing their payload. Runs the closing handshake (§7.1): a close frame is answered
 * with a close frame of the same code (an empty one when none was received), then the server
 * closes TCP first and the client waits for the server's FIN; `closeTimeoutMs` bounds the wait.
 * A frame that breaks the protocol fails the connection: a close frame with the error's
 * `closeCode` (1002, 1007 or 1009) is sent and the socket ended. Bytes after a close frame are
 * ignored.
 *
 * @throws {TypeError}/{RangeError} for bad options.
 * @see RFC 6455 §5.5, §7.1, §7.4
 * @example
 * ```ts
 * const ws = await connectWebSocket('ws://127.0.0.1:8080/');
 * ws.on('message', (data, isBinary) => console.log(isBinary ? data : data.toString()));
 * ws.send('hello');
 * ws.close(1000, 'bye');
 * ```
 */
export class WebSocketConnection extends EventEmitter<WebSocketConnectionEvents> {
  /** `readyState` before the handshake is done (never seen here: a connection starts open). */
  static readonly CONNECTING = READY_STATES.CONNECTING;
  /** `readyState` while messages may be sent. */
  static readonly OPEN = READY_STATES.OPEN;
  /** `readyState` once a close frame was sent or received, until the socket closes. */
  static readonly CLOSING = READY_STATES.CLOSING;
  /** `readyState` once the socket has closed (`'close'` was emitted). */
  static readonly CLOSED = READY_STATES.CLOSED;
  /** The negotiated subprotocol, or `undefined`. */
  readonly protocol: string | undefined;
  /** Which end this is. */
  readonly role: FrameRole;
  /** The extensions the handshake agreed, as `Sec-WebSocket-Extensions` says them ('' for none). */
  readonly extensions: string;
  private state: ReadyState = READY_STATES.OPEN as ReadyState;
  private readonly parser: FrameParser;
  private readonly assembler: MessageAssembler;
  private readonly clock: ConnectionClock;
  private readonly closeTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly writer: FrameWriter;
  private closeSent = false;
  private closeReceived = false;
  private peerEnded = false;
  private closeCode = 1006;
  private closeReason = '';
  private closeTimer: unknown;
  private heartbeatTimer: unknown;
  private awaitingPong = false;
  /** permessage-deflate's compressors, when negotiated. */
  private readonly deflate: DeflateContext | undefined;
  /** Reads frames under permessage-deflate (inflating compressed messages in order). */
  private readonly deflateReader: DeflateReader | undefined;
  /** Messages, close frames and the socket's end queued behind a compression (deflate only). */
  private readonly queue: SendQueue | undefined;
  /** Why reading is paused, as bits of {@link READ_PAUSES}: the message iterator, an inflate. */
  private readPauses = 0;

  /**
   * @param socket - the stream the handshake ran on, with no `'data'` listener left (it may be
   *   paused; it is resumed on the next turn of the event loop, after the caller's listeners).
   * @param options - the role and limits.
   */
  constructor(
    private readonly socket: Duplex,
    options: WebSocketConnectionOptions,
  ) {
    super();
    this.role = options.role;
    this.protocol = options.protocol;
    this.extensions = options.extensions ?? '';
    const maxPayloadBytes = options.maxPayloadBytes;
    this.parser = new FrameParser({
      role: options.role,
      ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
      ...(options.deflate === undefined ? {} : { allowedReservedBits: ['rsv1' as const] }),
    });
    this.assembler = new MessageAssembler(
      maxPayloadBytes === undefined ? {} : { maxMessageBytes: maxPayloadBytes },
    );
    if (options.deflate !== undefined) {
      const settings = resolveDeflateOptions(options.deflate.options ?? true);
      this.deflate = new DeflateContext(
        options.deflate.agreement,
        options.role,
        settings as NonNullable<typeof settings>,
        this.assembler.maxMessageBytes,
      );
      this.deflateReader = new DeflateReader(this.parser, this.assembler, this.deflate, {
        assemble: (frame) => this.assemble(frame),
        fail: (err) => this.fail(err),
        stopped: () => this.stopped(),
        pauseReading: (on) => this.pauseReading(READ_PAUSES.inflate, on),
      });
    }
    this.closeTimeoutMs = checkInteger(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      1,
      TIMER_MAX_MS,
    );
    this.heartbeatIntervalMs = checkInteger(
      'heartbeatIntervalMs',
      options.heartbeatIntervalMs ?? 0,
      0,
      TIMER_MAX_MS,
    );
    this.clock = options.clock ?? systemClock;
    this.writer = new FrameWriter(socket, options.role, options.randomFill);
    const head = options.head === undefined ? undefined : Buffer.from(options.head);
    if (this.deflate !== undefined) {
      this.queue = new SendQueue(socket, {
        writeFrame: (opcode, payload, rsv1) => this.writer.write(opcode, payload, rsv1),
        drained: () => this.emit('drain'),
      });
    }
    // Shared listeners that find this connection on the socket: no closures per connection.
    (socket as ConnectionSocket)[CONNECTION] = this;
    socket.on('error', socketListeners.error);
    socket.on('end', socketListeners.end);
    socket.on('close', socketListeners.close);
    socket.on('drain', socketListeners.drain);
    if (socket.destroyed) {
      setImmediate(() => this.onSocketClose());
      return;
    }
    // Listeners are attached by whoever receives this object, synchronously or after an await:
    // start reading on the next turn of the event loop so no message is emitted before them.
    setImmediate(() => {
      if (head !== undefined && head.length > 0) this.onData(head);
      socket.on('data', socketListeners.data);
      if (this.readPauses === 0) socket.resume();
    });
    if (this.heartbeatIntervalMs > 0) this.armHeartbeat();
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3), as browsers number them. */
  get readyState(): ReadyState {
    return this.state;
  }

  /**
   * Bytes written but not yet handed to the operating system (`socket.writableLength`), plus
   * the bytes of messages queued behind a compression in progress.
   */
  get bufferedAmount(): number {
    return this.socket.writableLength + (this.queue?.bytes ?? 0);
  }

  /**
   * Sends one message in one frame. Under permessage-deflate, a message of at least
   * `threshold` bytes is copied and compressed first (zlib works asynchronously); it, and
   * everything sent or closed after it, goes out in order once it is compressed.
   * @param data - a string (text, unless `binary`) or bytes (binary, unless `binary: false`,
   *   in which case they must be UTF-8).
   * @returns the socket's `write()` result (or, while messages wait for a compression, whether
   *   they and the socket's buffer are under its high-water mark): `false` means wait for
   *   `'drain'`.
   * @throws {WebSocketError} `WEBSOCKET_ERR_CLOSED` once the connection is closing or closed.
   */
  send(data: string | Uint8Array, options: SendOptions = {}): boolean {
    this.checkOpen('send');
    const binary = options.binary ?? typeof data !== 'string';
    const opcode = binary ? OPCODES.BINARY : OPCODES.TEXT;
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const deflate = this.deflate;
    if (deflate !== undefined && payload.length >= deflate.threshold) {
      // Compressed later: keep a copy, so the caller may reuse its buffer at once.
      const copy = typeof data === 'string' ? payload : Buffer.from(payload);
      const queue = this.queue as SendQueue; // made with the deflate context
      return queue.pushCompressed(opcode, payload.length, deflate.deflate(copy), (err) => {
        if (!this.stopped()) this.fail(err);
      });
    }
    if (this.queue !== undefined && !this.queue.empty)
      return this.queue.push(opcode, payload, true);
    return this.writer.write(opcode, payload);
  }

  /**
   * Sends a ping (its payload at most 125 bytes); the peer answers with a pong.
   * @throws {WebSocketError} `WEBSOCKET_ERR_CLOSED` once closing; {RangeError} over 125 bytes.
   */
  ping(data: string | Uint8Array = Buffer.alloc(0)): boolean {
    this.checkOpen('ping');
    return this.writer.write(OPCODES.PING, typeof data === 'string' ? Buffer.from(data) : data);
  }

  /**
   * Sends an unsolicited pong (a one-way heartbeat, RFC 6455 §5.5.3).
   * @throws {WebSocketError} `WEBSOCKET_ERR_CLOSED` once closing; {RangeError} over 125 bytes.
   */
  pong(data: string | Uint8Array = Buffer.alloc(0)): boolean {
    this.checkOpen('pong');
    return this.writer.write(OPCODES.PONG, typeof data === 'string' ? Buffer.from(data) : data);
  }

  /**
   * Starts the closing handshake: sends a close frame and waits (at most `closeTimeoutMs`) for
   * the peer's. Calling it again, or once closed, does nothing.
   * @param code - 1000–1003, 1007–1014 or 3000–4999; none sends an empty close frame.
   * @param reason - at most 123 bytes of UTF-8; needs a code.
   * @throws {RangeError}/{TypeError} for a code that may not be sent or a reason too long.
   * @see RFC 6455 §5.5.1, §7.1.2
   */
  close(code?: number, reason = ''): void {
    const payload = encodeClosePayload(code, reason);
    if (this.closeSent || this.state === READY_STATES.CLOSED) return;
    this.sendClose(payload);
    this.startCloseTimer();
  }

  /** Destroys the socket at once, with no closing handshake; `'close'` reports 1006. */
  terminate(): void {
    this.socket.destroy();
  }

  /**
   * Yields every message received from now on until the connection closes. While more than a
   * few are unread, the socket is paused (backpressure reaches the peer through TCP).
   */
  [Symbol.asyncIterator](): AsyncGenerator<WebSocketMessage, void, undefined> {
    const subscribe = (
      onMessage: (data: Buffer, isBinary: boolean) => void,
      onClose: () => void,
    ): (() => void) => {
      this.on('message', onMessage);
      this.on('close', onClose);
      return () => {
        this.off('message', onMessage);
        this.off('close', onClose);
      };
    };
    const flow = {
      pause: () => this.pauseReading(READ_PAUSES.reader, true),
      resume: () => this.pauseReading(READ_PAUSES.reader, false),
    };
    return iterateMessages(subscribe, flow, this.state === READY_STATES.CLOSED);
  }

  private checkOpen(what: string): void {
    if (this.state !== READY_STATES.OPEN || this.closeSent) {
      throw new WebSocketError(
        'WEBSOCKET_ERR_CLOSED',
        `${what}() on a WebSocket that is ${this.state === READY_STATES.CLOSED ? 'closed' : 'closing'}`,
      );
    }
  }

  /** Pauses the socket while any reason holds; resumes it when none does. */
  private pauseReading(reason: number, on: boolean): void {
    this.readPauses = on ? this.readPauses | reason : this.readPauses & ~reason;
    if (this.readPauses !== 0) this.socket.pause();
    else this.socket.resume();
  }

  /** Ends the socket once the queued frames are written. */
  private endSocket(): void {
    if (this.queue === undefined || this.queue.empty) this.socket.end();
    else this.queue.pushEnd();
  }

  static {
    // One set of socket listeners for every connection (`this` is the socket, which carries
    // its connection): a closure per listener per connection would cost each idle connection
    // a few hundred bytes of heap. Written here, in the class, so they may call its privates.
    const of = (socket: Duplex): WebSocketConnection => (socket as ConnectionSocket)[CONNECTION];
    socketListeners = {
      data(chunk) {
        of(this).onData(chunk);
      },
      error(err) {
        of(this).onSocketError(err);
      },
      end() {
        of(this).onSocketEnd();
      },
      close() {
        of(this).onSocketClose();
      },
      drain() {
        const connection = of(this);
        connection.queue?.socketDrained();
        connection.emit('drain');
      },
    };
  }

  private sendClose(payload: Buffer): void {
    this.closeSent = true;
    this.state = READY_STATES.CLOSING;
    this.stopHeartbeat();
    if (this.queue !== undefined && !this.queue.empty) {
      this.queue.push(OPCODES.CLOSE, payload, false);
      return;
    }
    if (!this.socket.writable) return;
    this.writer.write(OPCODES.CLOSE, payload);
  }

  private startCloseTimer(): void {
    if (this.closeTimer !== undefined) return;
    this.closeTimer = this.clock.setTimeout(() => {
      this.closeTimer = undefined;
      this.socket.destroy();
    }, this.closeTimeoutMs);
  }

  /** Nothing more is read: a close frame came (or we failed the connection), or the socket closed. */
  private stopped(): boolean {
    return this.closeReceived || this.state === READY_STATES.CLOSED;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped()) return;
    if (this.deflateReader !== undefined) {
      this.deflateReader.push(chunk);
      return;
    }
    const frames: Frame[] = [];
    let failure: unknown;
    try {
      this.parser.push(chunk, frames);
    } catch (err) {
      failure = err;
    }
    const events: MessageAssemblerEvent[] = [];
    for (const frame of frames) {
      if (this.stopped()) return;
      events.length = 0;
      if (!this.assemble(frame, events)) return;
    }
    if (this.stopped()) return;
    if (failure !== undefined) {
      this.fail(failure);
      return;
    }
    const partial = this.parser.partialPayload;
    if (partial !== undefined) {
      try {
        this.assembler.pushPiece(partial.opcode, partial.piece);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /**
   * Gives one frame to the assembler and acts on what it completes (into `events`, which the
   * caller may reuse); fails the connection on its errors, after acting on what came before.
   * @returns false once the connection has failed.
   */
  private assemble(frame: Frame, events: MessageAssemblerEvent[] = []): boolean {
    try {
      this.assembler.push(frame, events);
    } catch (err) {
      for (const event of events) this.onEvent(event);
      this.fail(err);
      return false;
    }
    for (const event of events) this.onEvent(event);
    return true;
  }

  private onEvent(event: MessageAssemblerEvent): void {
    if (this.closeReceived) return;
    switch (event.type) {
      case 'text':
        this.emit('message', Buffer.from(event.data, 'utf8'), false);
        break;
      case 'binary':
        this.emit('message', event.data, true);
        break;
      case 'ping':
        if (this.state === READY_STATES.OPEN && !this.closeSent && this.socket.writable) {
          this.writer.write(OPCODES.PONG, event.data);
        }
        this.emit('ping', event.data);
        break;
      case 'pong':
        this.awaitingPong = false;
        this.emit('pong', event.data);
        break;
      case 'close':
        this.onCloseFrame(event.code, event.reason);
        break;
    }
  }

  /** A close frame arrived: echo it if we have not sent ours, then close TCP as §7.1.1 says. */
  private onCloseFrame(code: number, reason: string): void {
    this.closeReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    // §5.5.1: the answer "typically echos the status code it received"; 1005 was not on the wire.
    if (!this.closeSent) this.sendClose(code === 1005 ? Buffer.alloc(0) : encodeClosePayload(code));
    this.startCloseTimer();
    // §7.1.1: the server closes the TCP connection first; the client waits for its FIN.
    if (this.role === 'server' || this.peerEnded) this.endSocket();
  }

  /** Fails the connection (§7.1.7): a close frame with the error's code, then end the socket. */
  private fail(err: unknown): void {
    const error =
      err instanceof WebSocketError
        ? err
        : new WebSocketError('WEBSOCKET_ERR_PROTOCOL', String(err), {
            cause: err,
            closeCode: 1002,
          });
    const code = error.closeCode ?? 1002;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    if (this.state === READY_STATES.CLOSED) return;
    this.closeReceived = true; // nothing more is read
    this.closeCode = code;
    this.closeReason = '';
    // The close frame goes now: messages still compressing are dropped.
    this.queue?.clear();
    if (!this.closeSent) this.sendClose(encodeClosePayload(code));
    this.startCloseTimer();
    this.socket.end();
  }

  private onSocketEnd(): void {
    this.peerEnded = true;
    // The peer's FIN: a client that has the server's close frame now closes too; anyone else
    // whose peer left without one ends its half (the close then reports 1006).
    this.endSocket();
  }

  private onSocketError(err: Error): void {
    if (this.closeReceived || this.listenerCount('error') === 0) return;
    this.emit(
      'error',
      new WebSocketError('WEBSOCKET_ERR_CONNECTION', `the connection failed: ${err.message}`, {
        cause: err,
      }),
    );
  }

  private onSocketClose(): void {
    if (this.state === READY_STATES.CLOSED) return;
    this.state = READY_STATES.CLOSED;
    this.stopHeartbeat();
    this.deflate?.close();
    this.queue?.clear();
    if (this.closeTimer !== undefined) this.clock.clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    if (!this.closeReceived) {
      this.closeCode = 1006;
      this.closeReason = '';
    }
    this.emit('close', this.closeCode, this.closeReason);
  }

  private armHeartbeat(): void {
    this.heartbeatTimer = this.clock.setTimeout(() => {
      this.heartbeatTimer = undefined;
      if (this.state !== READY_STATES.OPEN || this.closeSent) return;
      if (this.awaitingPong) {
        // No pong since the last ping: the peer (or the path to it) is gone.
        this.socket.destroy();
        return;
      }
      this.awaitingPong = true;
      if (this.socket.writable) this.writer.write(OPCODES.PING, Buffer.alloc(0));
      this.armHeartbeat();
    }, this.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
