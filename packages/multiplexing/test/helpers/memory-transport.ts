import { EventEmitter } from 'node:events';
import type { ConnectionTransport, TransportEvents } from '../../src/index.ts';

/**
 * A transport in memory for tests of the manager's logic: it records what was sent, holds a
 * settable buffer (as if the peer did not read), and closes when told — or, with
 * `peerClosesOnFin`, once the peer "answers" our close.
 */
export class MemoryTransport extends EventEmitter<TransportEvents> implements ConnectionTransport {
  readonly sent: Buffer[] = [];
  readonly notices: (string | undefined)[] = [];
  pings = 0;
  /** Bytes "in the socket": grows with each send while `reading` is false. */
  bufferedAmount = 0;
  /** A transport-level high-water mark, as a socket's 16 KiB. */
  highWaterMark = 16;
  reading = true;
  closeRequested = false;
  destroyed = false;
  #closed = false;

  constructor(
    readonly remoteAddress = '10.0.0.1',
    readonly peerName = `${remoteAddress}:5000`,
    readonly canPing = true,
    readonly peerClosesOnFin = true,
  ) {
    super();
    if (!canPing) Reflect.deleteProperty(this, 'ping');
  }

  get closed(): boolean {
    return this.closeRequested || this.#closed;
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    this.sent.push(Buffer.from(data));
    if (!this.reading) this.bufferedAmount += data.length;
    return this.bufferedAmount < this.highWaterMark;
  }

  ping?: () => void = () => {
    this.pings++;
  };

  close(notice?: string): void {
    if (this.closed) return;
    this.closeRequested = true;
    this.notices.push(notice);
    if (this.peerClosesOnFin && this.bufferedAmount === 0) this.finish(undefined);
  }

  destroy(): void {
    this.destroyed = true;
    this.finish(undefined);
  }

  /** The peer reads everything buffered: the buffer empties and 'drain' is emitted. */
  drain(): void {
    this.bufferedAmount = 0;
    this.emit('drain');
    if (this.closeRequested && this.peerClosesOnFin) this.finish(undefined);
  }

  /** The transport closes from the peer's side (FIN or failure). */
  finish(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close', error);
  }
}

/** A transport whose peer does not read: everything sent stays buffered; full past `highWaterMark`. */
export function stalledTransport(highWaterMark = 16): MemoryTransport {
  const transport = new MemoryTransport();
  transport.reading = false;
  transport.highWaterMark = highWaterMark;
  return transport;
}
