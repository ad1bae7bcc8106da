// Our client against a hand-driven server on a raw socket: what the client end must do itself.
import net from 'node:net';
import { ManualClock, nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectWebSocket, WebSocketConnection } from '../../src/connection/index.ts';
import {
  encodeClose,
  encodeFrame,
  type Frame,
  FrameParser,
  OPCODES,
} from '../../src/frame/index.ts';
import {
  buildUpgradeResponse,
  createRequestHeadReader,
  validateUpgradeRequest,
} from '../../src/handshake/index.ts';
import { closeOf } from './peers.ts';

/** A raw server accepting one client: answers the handshake, then collects the client's frames. */
async function rawServer(): Promise<{
  port: number;
  accepted: Promise<{ socket: net.Socket; frames: Frame[]; next: () => Promise<Frame> }>;
}> {
  let onAccept: (value: {
    socket: net.Socket;
    frames: Frame[];
    next: () => Promise<Frame>;
  }) => void = () => {};
  const accepted = new Promise<{ socket: net.Socket; frames: Frame[]; next: () => Promise<Frame> }>(
    (resolve) => {
      onAccept = resolve;
    },
  );
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const reader = createRequestHeadReader();
    const parser = new FrameParser({ role: 'server' });
    const frames: Frame[] = [];
    let wake: (() => void) | undefined;
    let upgraded = false;
    socket.on('data', (data: Buffer) => {
      let chunk = data;
      if (!upgraded) {
        const result = reader.push(chunk);
        if (result === undefined) return;
        const check = validateUpgradeRequest(result.head);
        if (!check.ok) throw new Error(check.message);
        socket.write(buildUpgradeResponse(check));
        upgraded = true;
        chunk = result.rest;
        onAccept({
          socket,
          frames,
          next: () =>
            withTimeout(
              (async () => {
                for (;;) {
                  const frame = frames.shift();
                  if (frame !== undefined) return frame;
                  await new Promise<void>((resolve) => {
                    wake = resolve;
                  });
                }
              })(),
              'a frame from the client',
            ),
        });
      }
      if (chunk.length > 0) parser.push(chunk, frames);
      wake?.();
    });
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

describe('the client end', () => {
  it('refuses URLs that are not ws:// or wss://, or carry a fragment, synchronously', () => {
    expect(() => connectWebSocket('http://127.0.0.1/')).toThrow(TypeError);
    expect(() => connectWebSocket('ws://127.0.0.1/#frag')).toThrow(TypeError);
    expect(() => connectWebSocket('ws://127.0.0.1/', { handshakeTimeoutMs: 0 })).toThrow(
      RangeError,
    );
  });

  it('masks every frame with a different key', async () => {
    const { port, accepted } = await rawServer();
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => client.terminate());
    const { socket } = await accepted;
    const wire: Buffer[] = [];
    socket.prependListener('data', (chunk: Buffer) => wire.push(Buffer.from(chunk)));
    const { next } = await accepted;
    client.send('a');
    client.send('b');
    const first = await next();
    const second = await next();
    expect([first.masked, second.masked]).toEqual([true, true]);
    expect([first.payload.toString(), second.payload.toString()]).toEqual(['a', 'b']);
    const bytes = Buffer.concat(wire);
    // Each frame is 2 header bytes, a 4-byte key and 1 payload byte.
    expect(bytes.subarray(2, 6).equals(bytes.subarray(9, 13))).toBe(false);
  });

  it('fails with 1002 on a masked frame from the server', async () => {
    const { port, accepted } = await rawServer();
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => client.terminate());
    const errors: string[] = [];
    client.on('error', (err) => errors.push(err.code));
    const closed = closeOf(client);
    const { socket, next } = await accepted;
    for (const part of encodeFrame({
      opcode: OPCODES.TEXT,
      payload: Buffer.from('x'),
      mask: true,
    })) {
      socket.write(part);
    }
    const frame = await next();
    expect(frame.opcode).toBe(OPCODES.CLOSE);
    expect(frame.payload.readUInt16BE(0)).toBe(1002);
    socket.end();
    expect((await closed).code).toBe(1002);
    expect(errors).toEqual(['WEBSOCKET_ERR_PROTOCOL']);
  });

  it('echoes the server close and keeps TCP open until the server ends it', async () => {
    const { port, accepted } = await rawServer();
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => client.terminate());
    const { socket, next } = await accepted;
    let clientEnded = false;
    socket.on('end', () => {
      clientEnded = true;
    });
    const closed = closeOf(client);
    for (const part of encodeClose(1000, 'bye')) socket.write(part);
    const echo = await next();
    expect(echo.opcode).toBe(OPCODES.CLOSE);
    expect(echo.payload.readUInt16BE(0)).toBe(1000);
    expect(clientEnded).toBe(false);
    expect(client.readyState).toBe(WebSocketConnection.CLOSING);
    const clientEnd = nextEvent(socket, 'end');
    socket.end();
    await clientEnd;
    expect(await closed).toEqual({ code: 1000, reason: 'bye' });
  });

  it('destroys the socket after closeTimeoutMs when the server never ends TCP', async () => {
    const clock = new ManualClock();
    const { port, accepted } = await rawServer();
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/`, {
      clock,
      closeTimeoutMs: 1000,
    });
    onTestFinished(() => client.terminate());
    const { socket, next } = await accepted;
    const closed = closeOf(client);
    const serverSocketClosed = nextEvent(socket, 'close');
    for (const part of encodeClose(1001)) socket.write(part);
    // The echo proves the client has the close frame; now it waits for a FIN that never comes.
    expect((await next()).opcode).toBe(OPCODES.CLOSE);
    clock.advance(999);
    expect(client.readyState).toBe(WebSocketConnection.CLOSING);
    clock.advance(1);
    expect((await closed).code).toBe(1001);
    await serverSocketClosed;
  });
});
