/**
 * Raw peers for the conformance suite: a client and a server that speak RFC 6455 by hand over
 * node:net. Frames are built here byte by byte, and what the implementation under test sends is
 * read with a small parser of this file's own (never src/frame's), so a codec bug cannot hide
 * itself behind the same code on both ends.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import {
  type WebSocketConnection,
  WebSocketServer,
  type WebSocketServerOptions,
} from '../../src/connection/index.ts';

/** The bound on every single wait in this suite (wider under CI, where both cores are busy). */
const WAIT_MS = process.env.CI ? 20_000 : 5_000;

/**
 * Settles like `promise`, or rejects naming `what` after {@link WAIT_MS}: a watchdog, never a
 * wait. (testkit has the same helper, but importing testkit loads the TypeScript compiler and
 * fast-check, seconds per file on a busy machine; this suite stays small and fast.)
 */
export function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)),
      WAIT_MS,
    );
    timer.unref();
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** RFC 6455 §1.3's own example key and its accept value. */
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
/** A fixed masking key (RFC 6455 §5.7's example key). */
export const TEST_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** Opcodes (RFC 6455 §5.2), spelled out here so the suite does not depend on src/. */
export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** A frame as read off the wire. */
export interface WireFrame {
  fin: boolean;
  /** RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Which payload length form the sender used (§5.2). */
  lengthForm: 7 | 16 | 64;
  /** Unmasked. */
  payload: Buffer;
}

/** An incremental frame reader: bytes in, whole frames out, short input waits. */
export class WireReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): WireFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: WireFrame[] = [];
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) return out;
      const b0 = b[0] as number;
      const b1 = b[1] as number;
      const masked = (b1 & 0x80) !== 0;
      const len7 = b1 & 0x7f;
      let offset = 2;
      let length: number;
      let lengthForm: 7 | 16 | 64 = 7;
      if (len7 === 126) {
        if (b.length < 4) return out;
        length = b.readUInt16BE(2);
        offset = 4;
        lengthForm = 16;
      } else if (len7 === 127) {
        if (b.length < 10) return out;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`frame length ${big} read`);
        length = Number(big);
        offset = 10;
        lengthForm = 64;
      } else {
        length = len7;
      }
      const keyAt = offset;
      if (masked) offset += 4;
      if (b.length < offset + length) return out;
      const payload = Buffer.from(b.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < length; i++) {
          payload[i] = (payload[i] as number) ^ (b[keyAt + (i % 4)] as number);
        }
      }
      out.push({
        fin: (b0 & 0x80) !== 0,
        rsv: (b0 >> 4) & 7,
        opcode: b0 & 0x0f,
        masked,
        lengthForm,
        payload,
      });
      this.buffered = b.subarray(offset + length);
    }
  }
}

/** What to put in one hand-built frame. */
export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** @default true */
  fin?: boolean;
  /** RSV1 = 4, RSV2 = 2, RSV3 = 1. @default 0 */
  rsv?: number;
  /** Mask with TEST_MASK. @default true for a client peer, false for a server peer */
  mask?: boolean;
  /** Force a length form (a non-minimal one too). @default the minimal one */
  lengthForm?: 7 | 16 | 64;
}

/** Builds one frame's bytes exactly as specified, valid or not. */
export function buildFrame(spec: FrameSpec, maskByDefault: boolean): Buffer {
  const payload =
    typeof spec.payload === 'string'
      ? Buffer.from(spec.payload, 'utf8')
      : Buffer.from(spec.payload ?? []);
  const mask = spec.mask ?? maskByDefault;
  const form = spec.lengthForm ?? (payload.length < 126 ? 7 : payload.length < 65536 ? 16 : 64);
  const head = Buffer.alloc(2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (mask ? 4 : 0));
  head[0] = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  let at = 2;
  if (form === 7) head[1] = maskBit | payload.length;
  else if (form === 16) {
    head[1] = maskBit | 126;
    head.writeUInt16BE(payload.length, 2);
    at = 4;
  } else {
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
    at = 10;
  }
  if (mask) {
    TEST_MASK.copy(head, at);
    for (let i = 0; i < payload.length; i++) {
      payload[i] = (payload[i] as number) ^ (TEST_MASK[i % 4] as number);
    }
  }
  return Buffer.concat([head, payload]);
}

/** A close frame's payload: a 2-byte code and a reason. */
export function closePayload(code: number, reason: Uint8Array | string = ''): Buffer {
  const code2 = Buffer.alloc(2);
  code2.writeUInt16BE(code);
  return Buffer.concat([code2, Buffer.from(reason)]);
}

/** One side of a connection driven by hand, after a handshake done by hand. */
export class RawPeer {
  readonly frames: WireFrame[] = [];
  ended = false;
  closed = false;
  private readonly reader = new WireReader();
  private readError: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly socket: net.Socket,
    /** Our role: a client masks by default and expects unmasked frames, a server the reverse. */
    readonly role: 'client' | 'server',
    rest: Buffer,
  ) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('end', () => {
      this.ended = true;
      // The implementation ended its half: end ours, so the TCP close completes.
      socket.end();
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
    this.read(rest);
  }

  /** Writes hand-built frames, all in one write (one TCP segment where the kernel allows). */
  send(...specs: FrameSpec[]): void {
    this.write(Buffer.concat(specs.map((spec) => buildFrame(spec, this.role === 'client'))));
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array | readonly number[]): void {
    this.socket.write(Buffer.from(bytes as Uint8Array));
  }

  /** The next frame the implementation sends (bounded wait). */
  async nextFrame(what = 'a frame'): Promise<WireFrame> {
    return withTimeout(
      (async () => {
        for (;;) {
          if (this.readError !== undefined) throw this.readError;
          const frame = this.frames.shift();
          if (frame !== undefined) {
            // §5.1: a client masks every frame, a server none.
            expect(frame.masked, `${what}: masked bit`).toBe(this.role === 'server');
            return frame;
          }
          if (this.closed || this.ended) {
            throw new Error(`the connection ended while waiting for ${what}`);
          }
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      })(),
      what,
    );
  }

  /** The next message: a data frame and its continuations joined (no control frame between). */
  async nextMessage(what = 'a message'): Promise<{ opcode: number; payload: Buffer }> {
    const first = await this.nextFrame(what);
    expect([OP.TEXT, OP.BINARY], `${what}: opcode`).toContain(first.opcode);
    const parts = [first.payload];
    let last = first;
    while (!last.fin) {
      last = await this.nextFrame(`${what} (continuation)`);
      expect(last.opcode, `${what}: continuation opcode`).toBe(OP.CONT);
      parts.push(last.payload);
    }
    return { opcode: first.opcode, payload: Buffer.concat(parts) };
  }

  /** Expects an echo of exactly this message. */
  async expectEcho(opcode: number, payload: Uint8Array | string): Promise<void> {
    const message = await this.nextMessage('the echo');
    expect(message.opcode).toBe(opcode);
    const expected = Buffer.from(payload);
    // Compare the length, then equality: a 1 MiB diff would drown the report.
    expect(message.payload.length).toBe(expected.length);
    expect(message.payload.equals(expected)).toBe(true);
  }

  /** Expects a pong carrying exactly `payload`. */
  async expectPong(payload: Uint8Array | string): Promise<void> {
    const frame = await this.nextFrame('the pong');
    expect(frame.opcode).toBe(OP.PONG);
    expect(frame.fin).toBe(true);
    expect(frame.payload.toString('hex')).toBe(Buffer.from(payload).toString('hex'));
  }

  /**
   * Expects a close frame with `code` (undefined: an empty close), then the TCP close: the
   * implementation's FIN, with nothing after the close frame.
   */
  async expectClose(code: number | undefined): Promise<void> {
    const frame = await this.nextFrame(`a close frame${code === undefined ? '' : ` ${code}`}`);
    expect(frame.opcode, 'opcode of the frame received').toBe(OP.CLOSE);
    expect(frame.fin, 'FIN of the close frame').toBe(true);
    if (code === undefined)
      expect(
        frame.payload.length,
        'payload length of the close frame (expected an empty close)',
      ).toBe(0);
    else {
      expect(
        frame.payload.length,
        `payload length of the close frame (expected code ${code}: 2 bytes)`,
      ).toBeGreaterThanOrEqual(2);
      expect(frame.payload.readUInt16BE(0), 'close code').toBe(code);
    }
    if (this.role === 'client') await this.waitEnded();
    else {
      // §7.1.1: the client waits for the server's FIN; give it ours once its close is in.
      this.socket.end();
      await this.waitEnded();
    }
    expect(this.frames, 'frames after the close frame').toEqual([]);
  }

  /**
   * Expects that nothing was sent back for what came before: a ping sent now is answered by
   * the very next frame (no sleep needed to prove a negative, TCP keeps the order).
   */
  async expectNoReply(): Promise<void> {
    const marker = Buffer.from('no-reply-marker');
    this.send({ opcode: OP.PING, payload: marker });
    await this.expectPong(marker);
  }

  /** Resolves once the implementation ended (FIN) or the socket closed (bounded). */
  async waitEnded(): Promise<void> {
    await withTimeout(
      (async () => {
        while (!this.ended && !this.closed) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      })(),
      'the TCP connection to end',
    );
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private read(chunk: Buffer): void {
    if (chunk.length === 0) return;
    try {
      this.frames.push(...this.reader.push(chunk));
    } catch (err) {
      this.readError = err as Error;
    }
    this.notify();
  }
}

/** Reads an HTTP head off `socket`: resolves with it and the bytes after it. */
function readHead(socket: net.Socket): Promise<{ head: string; rest: Buffer }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', reject);
        socket.pause();
        resolve({
          head: buffered.subarray(0, end).toString('latin1'),
          rest: buffered.subarray(end + 4),
        });
      };
      socket.on('data', onData);
      socket.once('error', reject);
    }),
    'an HTTP head',
  );
}

/** Connects a raw client to `port` and does the opening handshake by hand (§4.1). */
export async function connectRawClient(port: number): Promise<RawPeer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  onTestFinished(() => {
    socket.destroy();
  });
  return rawClientOn(socket, port);
}

async function rawClientOn(socket: net.Socket, port: number): Promise<RawPeer> {
  socket.setNoDelay(true);
  socket.write(
    [
      'GET /conformance HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${RFC_KEY}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  const { head, rest } = await readHead(socket);
  expect(head.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 101 /);
  expect(head).toMatch(
    new RegExp(`\r\nsec-websocket-accept: *${RFC_ACCEPT.replace(/\+/g, '\\+')}`, 'i'),
  );
  const peer = new RawPeer(socket, 'client', rest);
  socket.resume();
  return peer;
}

/** The text message the echo server answers with a close 4001 instead of an echo. */
export const CLOSE_REQUEST = 'please close';

/** A server echoing each message back (text as text, binary as binary). */
export async function startEchoServer(
  options: WebSocketServerOptions = {},
): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, ...options });
  wss.on('connection', (ws: WebSocketConnection) => {
    ws.on('error', () => {}); // failures are checked on the wire
    ws.on('message', (data, isBinary) => {
      if (ws.readyState !== 1) return;
      // The one message that is not echoed: it makes the server start the closing handshake.
      if (!isBinary && data.toString() === CLOSE_REQUEST) ws.close(4001, 'as requested');
      else ws.send(data, { binary: isBinary });
    });
  });
  await withTimeout(
    new Promise<void>((resolve) => wss.once('listening', resolve)),
    'the server to listen',
  );
  return wss;
}

/** A category's echo server, with one well-behaved connection kept open through it. */
export interface EchoCategory {
  /** A fresh raw client, handshake done, destroyed when the test ends. */
  connect(): Promise<RawPeer>;
  /** Adds the category's last test: the bystander, open since before the first, still echoes. */
  itKeepsServingOthers(): void;
}

/**
 * Sets up a category (call inside `describe`): starts an echo server before its tests and opens
 * a bystander connection that stays open through every case; call `itKeepsServingOthers()` after
 * the last case to check the bystander still echoes (a failing peer must never take the server
 * down with it).
 */
export function echoCategory(options: WebSocketServerOptions = {}): EchoCategory {
  let wss: WebSocketServer | undefined;
  let bystander: RawPeer | undefined;
  let bystanderSocket: net.Socket | undefined;
  beforeAll(async () => {
    wss = await startEchoServer(options);
    bystanderSocket = net.connect({ host: '127.0.0.1', port: wss.port });
    bystander = await rawClientOn(bystanderSocket, wss.port);
    bystander.send({ opcode: OP.TEXT, payload: 'bystander: before' });
    await bystander.expectEcho(OP.TEXT, 'bystander: before');
  });
  afterAll(async () => {
    bystanderSocket?.destroy();
    await withTimeout(wss?.close() ?? Promise.resolve(), 'the server to close');
  });
  return {
    connect: () => connectRawClient((wss as WebSocketServer).port),
    itKeepsServingOthers: () => {
      it('keeps serving a second connection held open through the whole category', async () => {
        const peer = bystander as RawPeer;
        expect(peer.ended || peer.closed, 'the bystander connection was closed').toBe(false);
        peer.send({ opcode: OP.TEXT, payload: 'bystander: after' });
        await peer.expectEcho(OP.TEXT, 'bystander: after');
        peer.send({ opcode: OP.PING, payload: 'still there?' });
        await peer.expectPong('still there?');
        peer.send({ opcode: OP.CLOSE, payload: closePayload(1000) });
        await peer.expectClose(1000);
      });
    },
  };
}

/**
 * A raw server answering one opening handshake by hand (§4.2.2: Sec-WebSocket-Accept computed
 * here with node:crypto), for testing our client. Closed when the test ends.
 */
export async function startRawServer(
  /** Bytes written in the same write as the 101 answer (the first frames, §4.2.2 allows it). */
  afterHandshake: Uint8Array = Buffer.alloc(0),
): Promise<{
  port: number;
  accepted: Promise<RawPeer>;
}> {
  let resolvePeer: (peer: RawPeer) => void = () => {};
  let rejectPeer: (err: unknown) => void = () => {};
  const accepted = new Promise<RawPeer>((resolve, reject) => {
    resolvePeer = resolve;
    rejectPeer = reject;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    readHead(socket).then(({ head, rest }) => {
      const key = /\r\nsec-websocket-key: *([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? '';
      const accept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      const answer = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(answer, 'latin1'), afterHandshake]));
      const peer = new RawPeer(socket, 'server', rest);
      socket.resume();
      resolvePeer(peer);
    }, rejectPeer);
  });
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: withTimeout(accepted, 'the client to connect'),
  };
}
