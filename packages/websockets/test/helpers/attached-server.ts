/**
 * Our WebSocketServer attached to a Node HTTP server on 127.0.0.1 and a free port, which also
 * serves one small HTML page to plain GETs: the same origin for a browser's page and its
 * WebSocket. Each connection's socket is kept, so a test can write frames that
 * `WebSocketConnection.send()` never makes (a message in fragments, a ping between them).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import {
  type WebSocketConnection,
  WebSocketServer,
  type WebSocketServerOptions,
} from '../../src/connection/index.ts';
import { encodeFrame, type Frame, FrameParser, OPCODES } from '../../src/frame/index.ts';

/** The page every plain GET of `/` gets. */
export const TEST_PAGE = '<!doctype html><meta charset="utf-8"><title>socketlab interop</title>';

/** What {@link startAttachedServer} gives back. */
export interface AttachedServer {
  readonly http: http.Server;
  readonly wss: WebSocketServer;
  readonly port: number;
  /** `http://127.0.0.1:PORT`, the page's origin. */
  readonly origin: string;
  /** `ws://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The socket under a connection this server accepted. */
  socketOf(ws: WebSocketConnection): Duplex;
  /**
   * The frames the client sends from now on, as they arrive (read from the same socket by a
   * parser of our own, so how a client cut a message shows): opcode, FIN and payload length.
   */
  framesFrom(ws: WebSocketConnection): FrameSummary[];
}

/** One frame a client sent, without its payload. */
export interface FrameSummary {
  opcode: number;
  fin: boolean;
  /** RSV1: the message is compressed, should permessage-deflate be negotiated. */
  rsv1: boolean;
  length: number;
}

/** Starts the pair; both are closed (connections with 1001, then the listener) when the test ends. */
export async function startAttachedServer(
  options: Omit<WebSocketServerOptions, 'server' | 'port' | 'host'> = {},
): Promise<AttachedServer> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(TEST_PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  // Registered before the WebSocketServer's own listener, so the socket is known by the time
  // that listener emits 'connection' (synchronously, in the same 'upgrade' event).
  let upgraded: Duplex | undefined;
  server.on('upgrade', (_req, socket: Duplex) => {
    upgraded = socket;
  });
  const wss = new WebSocketServer({ ...options, server });
  const sockets = new WeakMap<WebSocketConnection, Duplex>();
  wss.on('connection', (ws) => {
    if (upgraded !== undefined) sockets.set(ws, upgraded);
  });
  onTestFinished(async () => {
    await withTimeout(wss.close(), 'the WebSocket server to close');
    server.closeAllConnections();
    await withTimeout(
      new Promise<void>((resolve) => server.close(() => resolve())),
      'the HTTP server to close',
    );
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    }),
    'the HTTP server to listen',
  );
  const port = (server.address() as { port: number }).port;
  const socketOf = (ws: WebSocketConnection): Duplex => {
    const socket = sockets.get(ws);
    if (socket === undefined) throw new Error('that connection was not accepted by this server');
    return socket;
  };
  return {
    http: server,
    wss,
    port,
    origin: `http://127.0.0.1:${port}`,
    url: `ws://127.0.0.1:${port}/`,
    socketOf,
    framesFrom(ws) {
      const summaries: FrameSummary[] = [];
      // No limit of its own (the connection has one), and RSV1 allowed should a compression
      // extension be negotiated.
      const parser = new FrameParser({
        role: 'server',
        maxPayloadBytes: 2 ** 32,
        allowedReservedBits: ['rsv1'],
      });
      const frames: Frame[] = [];
      socketOf(ws).on('data', (chunk: Buffer) => {
        // A copy: the parser unmasks in place, and the connection reads the same chunk.
        parser.push(Buffer.from(chunk), frames);
        for (const { opcode, fin, rsv1, payload } of frames.splice(0)) {
          summaries.push({ opcode, fin, rsv1, length: payload.length });
        }
      });
      return summaries;
    },
  };
}

/**
 * Writes one message as unmasked server frames straight to `socket`: the first piece with
 * `opcode`, the rest as continuations, FIN on the last; `between(i)` may write control frames
 * after piece `i`. The connection must not be sending anything itself meanwhile.
 */
export function writeFragments(
  socket: Duplex,
  opcode: typeof OPCODES.TEXT | typeof OPCODES.BINARY,
  pieces: readonly Uint8Array[],
  between: (index: number) => void = () => {},
): void {
  pieces.forEach((payload, i) => {
    const frame = encodeFrame({
      opcode: i === 0 ? opcode : OPCODES.CONTINUATION,
      fin: i === pieces.length - 1,
      payload,
    });
    for (const part of frame) socket.write(part);
    if (i < pieces.length - 1) between(i);
  });
}

/** Writes one unmasked ping frame straight to `socket`. */
export function writePing(socket: Duplex, payload: Uint8Array): void {
  for (const part of encodeFrame({ opcode: OPCODES.PING, payload })) socket.write(part);
}
