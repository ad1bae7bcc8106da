import net from 'node:net';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { WebSocketServer as WsServer, type ServerOptions as WsServerOptions } from 'ws';
import type { WebSocketConnection, WebSocketServerOptions } from '../../src/connection/index.ts';
import { connectWebSocket, WebSocketServer } from '../../src/connection/index.ts';
import {
  type EncodeFrameOptions,
  encodeFrame,
  type Frame,
  FrameParser,
} from '../../src/frame/index.ts';
import {
  createClientHandshake,
  createResponseHeadReader,
  type HttpResponseHead,
} from '../../src/handshake/index.ts';

/** A `ws` library server echoing every message (text as text), closed when the test ends. */
export async function wsEchoServer(
  options: Pick<WsServerOptions, 'perMessageDeflate'> = {},
): Promise<{ wss: WsServer; port: number }> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  await nextEvent(wss, 'listening');
  return { wss, port: (wss.address() as net.AddressInfo).port };
}

/** A standalone server on 127.0.0.1 and a free port, closed when the test ends. */
export async function startServer(options: WebSocketServerOptions = {}): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, ...options });
  onTestFinished(() => withTimeout(wss.close(), 'the server to close'));
  await nextEvent(wss, 'listening');
  return wss;
}

/** Our client connected to `wss`: both ends, destroyed when the test ends. */
export async function connectPair(
  wss: WebSocketServer,
  options: Parameters<typeof connectWebSocket>[1] = {},
): Promise<{ server: WebSocketConnection; client: WebSocketConnection }> {
  const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
  const client = await withTimeout(
    connectWebSocket(`ws://127.0.0.1:${wss.port}/`, options),
    'the client to connect',
  );
  const [server] = await accepted;
  onTestFinished(() => {
    client.terminate();
    server.terminate();
  });
  return { server, client };
}

/** Resolves with the next `'close'` event's code and reason. */
export async function closeOf(ws: WebSocketConnection): Promise<{ code: number; reason: string }> {
  // Not nextEvent(): it listens for 'error' too, and the connection emits 'error' only to listeners.
  return withTimeout(
    new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason }))),
    "the 'close' event",
  );
}

/** A fixed masking key: a raw peer's frames need not be unpredictable in a test. */
const RAW_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/**
 * A hand-driven client on a raw socket: does the opening handshake with the pure helpers, then
 * writes frames built with `encodeFrame` and reads the server's frames with a `FrameParser`.
 */
export class RawPeer {
  readonly frames: Frame[] = [];
  ended = false;
  closed = false;
  /** The server's answer to the handshake. */
  response: HttpResponseHead | undefined;
  private readonly parser: FrameParser;
  private wake: (() => void) | undefined;

  private constructor(
    readonly socket: net.Socket,
    rsv1: boolean,
  ) {
    this.parser = new FrameParser(
      rsv1 ? { role: 'client', allowedReservedBits: ['rsv1'] } : { role: 'client' },
    );
  }

  /**
   * Connects to `port` and completes the handshake, offering `extensions` if given (RSV1 is then
   * accepted on the server's frames); destroyed when the test ends.
   */
  static async connect(port: number, extensions?: string): Promise<RawPeer> {
    const socket = net.connect({ host: '127.0.0.1', port });
    onTestFinished(() => {
      socket.destroy();
    });
    const peer = new RawPeer(socket, extensions !== undefined);
    const handshake = createClientHandshake({
      host: '127.0.0.1',
      port,
      ...(extensions === undefined ? {} : { extensions }),
    });
    const reader = createResponseHeadReader();
    socket.write(handshake.request);
    const rest = await withTimeout(
      new Promise<Buffer>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          const result = reader.push(chunk);
          if (result === undefined) return;
          socket.off('data', onData);
          peer.response = result.head;
          if (result.head.status !== 101) reject(new Error(`status ${result.head.status}`));
          resolve(result.rest);
        };
        socket.on('data', onData);
        socket.once('error', reject);
      }),
      'the raw handshake',
    );
    peer.read(rest);
    socket.on('data', (chunk: Buffer) => peer.read(chunk));
    socket.on('end', () => {
      peer.ended = true;
      peer.wake?.();
    });
    socket.on('close', () => {
      peer.closed = true;
      peer.wake?.();
    });
    socket.on('error', () => {});
    return peer;
  }

  /** Writes one frame, masked with a fixed key unless `mask: false`. */
  sendFrame(options: Omit<EncodeFrameOptions, 'mask'> & { mask?: false }): void {
    const { mask, ...frame } = options;
    for (const part of encodeFrame(mask === false ? frame : { ...frame, mask: RAW_MASK })) {
      this.socket.write(part);
    }
  }

  /** Resolves with the next frame the server sends (bounded). */
  nextFrame(what = 'a frame from the server'): Promise<Frame> {
    return withTimeout(
      (async () => {
        for (;;) {
          const frame = this.frames.shift();
          if (frame !== undefined) return frame;
          if (this.closed) throw new Error(`the connection closed while waiting for ${what}`);
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      })(),
      what,
    );
  }

  /** Resolves once the server has ended (FIN) or the socket has closed. */
  async waitEnded(): Promise<void> {
    await withTimeout(
      (async () => {
        while (!this.ended && !this.closed) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      })(),
      'the server to end the connection',
    );
  }

  private read(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.parser.push(chunk, this.frames);
    this.wake?.();
  }
}

/** The close code in a close frame's payload (1005 for none). */
export function closeCodeOf(frame: Frame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
