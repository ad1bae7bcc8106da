/**
 * The order of what a connection sends while a message compresses (permessage-deflate runs
 * zlib asynchronously): messages, close frames and the socket's end wait behind it in a queue.
 */
import type { Duplex } from 'node:stream';

/** Where the queue writes: the connection's frame writer and its socket. */
export interface SendQueueSink {
  /** Encodes and writes one frame now. */
  writeFrame(opcode: number, payload: Uint8Array, rsv1: boolean): void;
  /** The queue emptied after a `push` reported it was full: emit `'drain'`. */
  drained(): void;
}

/** One queued item: a frame (its payload possibly still compressing), or the socket's end. */
interface Queued {
  readonly opcode: number;
  payload: Uint8Array;
  readonly rsv1: boolean;
  ready: boolean;
  /** Bytes counted in {@link SendQueue.bytes}: the message's size before compression. */
  readonly size: number;
  readonly end: boolean;
}

/**
 * A first-in first-out queue of frames, used only while it holds something: a connection writes
 * at once when the queue is empty and nothing compresses.
 */
export class SendQueue {
  private readonly items: Queued[] = [];
  private queuedBytes = 0;
  private owesDrain = false;

  constructor(
    private readonly socket: Duplex,
    private readonly sink: SendQueueSink,
  ) {}

  /** Whether anything waits. */
  get empty(): boolean {
    return this.items.length === 0;
  }

  /** The bytes of the queued messages (before compression). */
  get bytes(): number {
    return this.queuedBytes;
  }

  /**
   * Queues a message whose payload `compressed` will give; it is written with RSV1 once it and
   * everything before it are ready. A rejection is `onError`'s (the item is then dropped).
   * @returns what `send()` returns (see {@link SendQueue.push}).
   */
  pushCompressed(
    opcode: number,
    size: number,
    compressed: Promise<Uint8Array>,
    onError: (err: unknown) => void,
  ): boolean {
    const item: Queued = {
      opcode,
      payload: Buffer.alloc(0),
      rsv1: true,
      ready: false,
      size,
      end: false,
    };
    this.add(item);
    compressed.then(
      (payload) => {
        item.payload = payload;
        item.ready = true;
        this.pump();
      },
      (err: unknown) => {
        const at = this.items.indexOf(item);
        if (at >= 0) {
          this.items.splice(at, 1);
          this.queuedBytes -= item.size;
        }
        onError(err);
      },
    );
    return this.result();
  }

  /**
   * Queues a frame ready to go, behind what waits.
   * @param counted - count its payload in `bytes` (a message; not a close frame).
   * @returns false once the queue and the socket's buffer hold a high-water mark's worth:
   *   `'drain'` then follows when both have emptied.
   */
  push(opcode: number, payload: Uint8Array, counted: boolean): boolean {
    this.add({
      opcode,
      payload,
      rsv1: false,
      ready: true,
      size: counted ? payload.length : 0,
      end: false,
    });
    return this.result();
  }

  /** Ends the socket once everything queued before is written. */
  pushEnd(): void {
    this.add({ opcode: 0, payload: Buffer.alloc(0), rsv1: false, ready: true, size: 0, end: true });
  }

  /** Drops everything queued (the connection failed, or closed). */
  clear(): void {
    this.items.length = 0;
    this.queuedBytes = 0;
  }

  /** The socket drained: no `'drain'` is owed any more if nothing waits. */
  socketDrained(): void {
    if (this.items.length === 0) this.owesDrain = false;
  }

  private add(item: Queued): void {
    this.items.push(item);
    this.queuedBytes += item.size;
  }

  private result(): boolean {
    const ok =
      !this.socket.writableNeedDrain &&
      this.socket.writableLength + this.queuedBytes < this.socket.writableHighWaterMark;
    if (!ok) this.owesDrain = true;
    return ok;
  }

  /** Writes the items that are ready, in order, up to the first still compressing. */
  private pump(): void {
    while (this.items.length > 0 && (this.items[0] as Queued).ready) {
      const item = this.items.shift() as Queued;
      this.queuedBytes -= item.size;
      if (item.end) this.socket.end();
      else if (this.socket.writable) this.sink.writeFrame(item.opcode, item.payload, item.rsv1);
    }
    if (this.items.length === 0 && this.owesDrain && !this.socket.writableNeedDrain) {
      this.owesDrain = false;
      this.sink.drained();
    }
  }
}
