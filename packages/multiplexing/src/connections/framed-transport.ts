/**
 * A `FramedSocket` (stage 2) as a {@link ConnectionTransport}: one frame is one message, a close
 * notice is one frame of UTF-8 text, and heartbeats are two reserved frames — a ping the peer
 * answers with a pong. Both ends may use this adapter: it answers pings by itself.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { formatEndpoint } from '@socketlab/basics';
import type { FrameCodec, FramedSocket } from '@socketlab/tcp-udp';
import type { ConnectionTransport, TransportEvents } from './transport.ts';

/** Options of {@link framedSocketTransport}. */
export interface FramedTransportOptions {
  /**
   * The heartbeat probe frame; a received frame equal to it is answered with `pongMessage` and
   * never reaches `'message'`. @default '\u0000ping'
   */
  readonly pingMessage?: string | Uint8Array;
  /** The heartbeat answer frame; received, it emits `'pong'`. @default '\u0000pong' */
  readonly pongMessage?: string | Uint8Array;
}

/** The defaults of {@link FramedTransportOptions}: frames no line of text a person types starts with. */
export const FRAMED_TRANSPORT_DEFAULTS = Object.freeze({
  pingMessage: '\u0000ping',
  pongMessage: '\u0000pong',
});

const toBytes = (name: string, value: string | Uint8Array): Buffer => {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new TypeError(`${name} must be a string or a Uint8Array`);
};

/**
 * The heartbeat frames as bytes, checked against `codec`.
 * @throws {TypeError} for a frame that is not bytes or text, or equal ping and pong; the codec's
 *   error for one it cannot carry (a '\n' in a line).
 */
export function resolveHeartbeatFrames(
  codec: FrameCodec,
  options: FramedTransportOptions,
): { ping: Buffer; pong: Buffer } {
  const ping = toBytes('pingMessage', options.pingMessage ?? FRAMED_TRANSPORT_DEFAULTS.pingMessage);
  const pong = toBytes('pongMessage', options.pongMessage ?? FRAMED_TRANSPORT_DEFAULTS.pongMessage);
  if (ping.equals(pong)) throw new TypeError('pingMessage and pongMessage must differ');
  // Both must fit the codec: fail now, not at the first beat.
  codec.encodeParts(ping);
  codec.encodeParts(pong);
  return { ping, pong };
}

/**
 * Writes a frame's parts (a payload and its delimiter, say) as one write when there are several.
 * @returns false once the socket is past its high-water mark.
 */
export function writeParts(socket: net.Socket, parts: readonly Uint8Array[]): boolean {
  if (parts.length === 1) return socket.write(parts[0] as Uint8Array);
  let ok = true;
  socket.cork();
  for (const part of parts) ok = socket.write(part);
  socket.uncork();
  return ok;
}

class FramedSocketTransport extends EventEmitter<TransportEvents> implements ConnectionTransport {
  readonly remoteAddress: string;
  readonly peerName: string;
  readonly #framed: FramedSocket;
  readonly #ping: Buffer;
  readonly #pong: Buffer;
  #closing = false;
  #closed = false;

  constructor(framed: FramedSocket, options: FramedTransportOptions) {
    super();
    this.#framed = framed;
    const frames = resolveHeartbeatFrames(framed.codec, options);
    this.#ping = frames.ping;
    this.#pong = frames.pong;
    const { socket } = framed;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.peerName =
      socket.remoteAddress === undefined
        ? 'peer'
        : formatEndpoint({ host: socket.remoteAddress, port: socket.remotePort ?? 0 });
    socket.on('drain', () => this.emit('drain'));
    void framed.closed.then((error) => {
      this.#closed = true;
      this.emit('close', error);
    });
    void this.#read();
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.#framed.read();
        if (frame === undefined) break; // the peer's FIN
        if (frame.equals(this.#ping)) this.send(this.#pong);
        else if (frame.equals(this.#pong)) this.emit('pong');
        else this.emit('message', frame);
      }
      this.close();
    } catch {
      // A bad frame or a broken socket: FramedSocket destroyed it; `closed` carries the error.
    }
  }

  get bufferedAmount(): number {
    return this.#framed.socket.writableLength;
  }

  get closed(): boolean {
    return this.#closing || this.#closed;
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    return writeParts(this.#framed.socket, this.#framed.codec.encodeParts(data));
  }

  ping(): void {
    this.send(this.#ping);
  }

  close(notice?: string): void {
    if (this.closed) return;
    if (notice !== undefined) {
      try {
        this.send(Buffer.from(notice, 'utf8'));
      } catch {
        // A notice the codec cannot carry (a '\n' in a line) is left out; the close goes on.
      }
    }
    this.#closing = true;
    void this.#framed.end();
  }

  destroy(): void {
    this.#closing = true;
    this.#framed.destroy();
  }
}

/**
 * Wraps a `FramedSocket` for the connection manager (server side) or for a client that must
 * answer the server's heartbeats. It reads the socket itself: do not iterate it too.
 * @param framed - a connected `FramedSocket`.
 * @param options - the heartbeat frames ({@link FramedTransportOptions}).
 * @throws {TypeError} for a heartbeat frame that is not bytes or text, or equal ping and pong.
 * @throws the codec's error (`TCPUDP_ERR_MALFORMED`, `TCPUDP_ERR_FRAME_TOO_LARGE`) for a heartbeat
 *   frame it cannot carry.
 * @example
 * ```ts
 * const framed = await connectFramed({ host: '127.0.0.1', port }, { codec: lineCodec() });
 * const transport = framedSocketTransport(framed); // answers pings from now on
 * transport.on('message', (line) => console.log(line.toString()));
 * ```
 */
export function framedSocketTransport(
  framed: FramedSocket,
  options: FramedTransportOptions = {},
): ConnectionTransport {
  return new FramedSocketTransport(framed, options);
}
