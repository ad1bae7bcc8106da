/**
 * The transports `listenManagedTcp` makes straight from an accepted `net.Socket`: a byte stream
 * (each chunk a message, as {@link tcpConnectionTransport}) or frames with heartbeats (as
 * {@link framedSocketTransport}). They behave as those two, but cost an idle connection little:
 * the socket's listeners are five functions shared by every connection (each finds its transport
 * through a symbol property on the socket), frames are decoded as chunks arrive (no read loop, no
 * promise per frame), and the managed connection is called directly (see {@link DirectTransport}).
 */
import type net from 'node:net';
import { formatEndpoint } from '@socketlab/basics';
import {
  ConnectionError,
  type FrameCodec,
  type FrameDecoder,
  type TcpUdpError,
  toTcpError,
} from '@socketlab/tcp-udp';
import { DirectTransport } from './direct-transport.ts';
import { writeParts } from './framed-transport.ts';
import type { ConnectionTransport } from './transport.ts';

const TRANSPORT = Symbol('socketlab.socketTransport');
const PROXIED_PEER = Symbol('socketlab.proxiedPeer');

type OwnedSocket = net.Socket & {
  [TRANSPORT]?: SocketTransport;
  [PROXIED_PEER]?: { readonly address: string; readonly port: number };
};

/**
 * Names the client behind a proxy (from its PROXY protocol header) as `socket`'s peer: the
 * transport made from it then reports that address, for limits and messages. Set before the
 * transport is made; a socket without it is its own peer (and costs nothing more).
 */
export function setProxiedPeer(
  socket: net.Socket,
  peer: { readonly address: string; readonly port: number },
): void {
  (socket as OwnedSocket)[PROXIED_PEER] = peer;
}

function onData(this: OwnedSocket, chunk: Buffer): void {
  this[TRANSPORT]?.received(chunk);
}
function onEnd(this: OwnedSocket): void {
  this[TRANSPORT]?.peerEnded();
}
function onError(this: OwnedSocket, error: Error): void {
  this[TRANSPORT]?.failed(error);
}
function onDrain(this: OwnedSocket): void {
  this[TRANSPORT]?.drained();
}
function onClose(this: OwnedSocket): void {
  this[TRANSPORT]?.socketClosed();
}

/** `#state`: open, closing (told to close, or destroyed), or closed. */
const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

abstract class SocketTransport extends DirectTransport implements ConnectionTransport {
  protected readonly socket: net.Socket;
  /** Set once the socket fails: the error `'close'` reports. */
  protected error: Error | undefined;
  #state = OPEN;

  constructor(socket: net.Socket) {
    super();
    this.socket = socket;
    // Read once now: the socket keeps the peer's address from then on, even once closed.
    void socket.remoteAddress;
    if (socket.destroyed) {
      this.#state = CLOSED;
      queueMicrotask(() => this.emitClose(undefined));
      return;
    }
    const owned = socket as OwnedSocket;
    owned[TRANSPORT] = this;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  }

  get remoteAddress(): string {
    return (this.socket as OwnedSocket)[PROXIED_PEER]?.address ?? this.socket.remoteAddress ?? '';
  }

  /** The peer as messages name it; made when asked (most connections are never named). */
  get peerName(): string {
    const proxied = (this.socket as OwnedSocket)[PROXIED_PEER];
    if (proxied !== undefined) return formatEndpoint({ host: proxied.address, port: proxied.port });
    const { remoteAddress, remotePort } = this.socket;
    return remoteAddress === undefined
      ? 'peer'
      : formatEndpoint({ host: remoteAddress, port: remotePort ?? 0 });
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  get closed(): boolean {
    return this.#state !== OPEN;
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    return this.socket.write(data);
  }

  close(notice?: string): void {
    if (this.closed) return;
    if (notice !== undefined) this.writeNotice(notice);
    this.#state = CLOSING;
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }

  destroy(): void {
    if (this.#state === OPEN) this.#state = CLOSING;
    this.socket.destroy();
  }

  /** Sends the close notice the way this transport carries text. */
  protected abstract writeNotice(notice: string): void;
  /** Bytes from the peer. */
  abstract received(chunk: Buffer): void;
  /** The peer's FIN. */
  abstract peerEnded(): void;
  /** The socket's `'error'` (it is destroyed next). */
  abstract failed(error: Error): void;

  drained(): void {
    this.emitDrain();
  }

  socketClosed(): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    const { socket } = this;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('drain', onDrain);
    socket.off('close', onClose);
    // The 'error' listener stays: an error emitted after 'close' must not crash the process.
    this.emitClose(this.error);
  }
}

/** A byte stream: each chunk is a message; a notice is a line of text; the peer's FIN ends ours. */
class StreamSocketTransport extends SocketTransport {
  protected writeNotice(notice: string): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(`${notice}\n`);
  }

  received(chunk: Buffer): void {
    this.emitMessage(chunk);
  }

  peerEnded(): void {
    this.close();
  }

  failed(error: NodeJS.ErrnoException): void {
    const operation = error.syscall === 'write' ? 'write' : 'read';
    this.error ??= toTcpError(error, { operation, peer: this.peerName }) as TcpUdpError;
  }
}

/**
 * Frames: one frame is one message, a notice is one frame of UTF-8 text, a ping frame is
 * answered with the pong frame and a pong frame emits `'pong'`. A bad frame or a stream cut
 * inside a frame destroys the connection with the codec's error.
 */
class FramedSocketTransport extends SocketTransport {
  /** The codec and the heartbeat frames: one object for every connection of a listener. */
  readonly #framing: SocketFraming;
  readonly #decoder: FrameDecoder;

  constructor(socket: net.Socket, framing: SocketFraming) {
    super(socket);
    this.#framing = framing;
    this.#decoder = framing.codec.createDecoder();
  }

  override send(data: Uint8Array): boolean {
    if (this.closed) return false;
    return writeParts(this.socket, this.#framing.codec.encodeParts(data));
  }

  ping(): void {
    this.send(this.#framing.ping);
  }

  protected writeNotice(notice: string): void {
    try {
      this.send(Buffer.from(notice, 'utf8'));
    } catch {
      // A notice the codec cannot carry (a '\n' in a line) is left out; the close goes on.
    }
  }

  received(chunk: Buffer): void {
    if (this.error !== undefined) return;
    const frames: Buffer[] = [];
    let failure: Error | undefined;
    try {
      this.#decoder.push(chunk, frames);
    } catch (error) {
      failure = error as Error;
    }
    // Frames before a bad one are delivered first, whatever the chunking.
    for (const frame of frames) {
      if (this.socket.destroyed) break;
      const { ping, pong } = this.#framing;
      if (frame.equals(ping)) this.send(pong);
      else if (frame.equals(pong)) this.emitPong();
      else this.emitMessage(frame);
    }
    if (failure !== undefined) this.#fail(failure);
  }

  peerEnded(): void {
    try {
      this.#decoder.end();
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    this.close();
  }

  failed(error: NodeJS.ErrnoException): void {
    if (this.error !== undefined) return;
    this.error = new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `${this.peerName}: the connection broke (${error.code ?? 'unknown'})`,
      { cause: error },
    );
  }

  #fail(error: Error): void {
    this.error ??= error;
    this.destroy();
  }
}

/** A byte-stream transport over an accepted socket (`listenManagedTcp` without a codec). */
export function streamSocketTransport(socket: net.Socket): ConnectionTransport {
  return new StreamSocketTransport(socket);
}

/** How a listener's framed connections are framed: its codec and its checked heartbeat frames. */
export interface SocketFraming {
  readonly codec: FrameCodec;
  readonly ping: Buffer;
  readonly pong: Buffer;
}

/** A framed transport over an accepted socket. */
export function framedSocketTransportOf(
  socket: net.Socket,
  framing: SocketFraming,
): ConnectionTransport {
  return new FramedSocketTransport(socket, framing);
}
