/**
 * The sending edge of a connection: frames encoded (masked with a fresh key on a client) and
 * written to the socket, corked for the rest of the turn of the event loop.
 */
import type { Duplex } from 'node:stream';
import { encodeFrame, type FrameRole } from '../frame/index.ts';
import { MaskKeyPool, type RandomFill } from './mask-keys.ts';

/** Writes one connection's frames. */
export class FrameWriter {
  private readonly masks: MaskKeyPool | undefined;
  /** The socket is corked until the next tick. */
  private corked = false;

  constructor(
    private readonly socket: Duplex,
    role: FrameRole,
    randomFill?: RandomFill,
  ) {
    this.masks = role === 'client' ? new MaskKeyPool(randomFill) : undefined;
  }

  /**
   * Encodes one frame and writes it. Frames written in the same turn of the event loop (a burst
   * of sends, the echoes of a read that held many messages) leave in one `writev` system call
   * instead of one each: the socket is corked on the first and uncorked on the next tick.
   * @returns the socket's `write()` result: false means wait for `'drain'`.
   */
  write(opcode: number, payload: Uint8Array, rsv1 = false): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(FrameWriter.uncork, this);
    }
    if (this.masks !== undefined) {
      const [frame] = encodeFrame({ opcode, payload, mask: this.masks.next(), rsv1 });
      return this.socket.write(frame as Buffer);
    }
    // Header and payload as two writes, no copy: corked, they go out together.
    const [header, body] = encodeFrame({ opcode, payload, rsv1 });
    const ok = this.socket.write(header as Buffer);
    return body === undefined ? ok : this.socket.write(body);
  }

  /** Lets the corked frames go (a static method: no closure per connection). */
  private static uncork(writer: FrameWriter): void {
    writer.corked = false;
    writer.socket.uncork();
  }
}
