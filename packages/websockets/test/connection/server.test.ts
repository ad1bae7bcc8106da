import http from 'node:http';
import net from 'node:net';
import { ManualClock, nextEvent, pollUntil, rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  connectWebSocket,
  type WebSocketConnection,
  WebSocketServer,
} from '../../src/connection/index.ts';
import type { WebSocketError } from '../../src/errors.ts';
import { encodeFrame, OPCODES } from '../../src/frame/index.ts';
import { createClientHandshake } from '../../src/handshake/index.ts';
import { closeOf, connectPair, startServer } from './peers.ts';

/** Opens a raw socket to `port`, cleaned up when the test ends. */
async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  await nextEvent(socket, 'connect');
  return socket;
}

/** Writes `request` on a raw socket and resolves with everything the server sent until it closed. */
async function answerTo(port: number, request: string | Buffer): Promise<string> {
  const socket = await rawSocket(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = nextEvent(socket, 'end');
  socket.write(request);
  await ended;
  return Buffer.concat(chunks).toString('latin1');
}

const GOOD_HEAD = (port: number): string =>
  createClientHandshake({ host: '127.0.0.1', port }).request.toString('latin1');

describe('handshake refusals, as bytes on a raw socket', () => {
  it('answers a malformed head with 400 and closes', async () => {
    const wss = await startServer();
    const answer = await answerTo(wss.port, 'GET / HTTP/1.1\nHost: x\n\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('Connection: close\r\n');
  });

  it('answers a request without Upgrade with 426 and Upgrade: websocket', async () => {
    const wss = await startServer();
    const head = GOOD_HEAD(wss.port).replace('Upgrade: websocket\r\n', '');
    const answer = await answerTo(wss.port, head);
    expect(answer).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(answer).toContain('Upgrade: websocket\r\n');
  });

  it('answers a head over maxHeadBytes with 400 before it ends', async () => {
    const wss = await startServer({ maxHeadBytes: 256 });
    const answer = await answerTo(wss.port, `GET / HTTP/1.1\r\nX-Pad: ${'a'.repeat(300)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('refuses a forbidden origin with 403, seen by our client as WEBSOCKET_ERR_HANDSHAKE', async () => {
    const wss = await startServer({ checkOrigin: (origin) => origin === 'https://good.example' });
    const error = (await rejectionOf(
      connectWebSocket(`ws://127.0.0.1:${wss.port}/`, { origin: 'https://evil.example' }),
    )) as WebSocketError;
    expect(error.code).toBe('WEBSOCKET_ERR_HANDSHAKE');
    expect(error.message).toContain('403');
    const { client } = await connectPair(wss, { origin: 'https://good.example' });
    expect(client.readyState).toBe(1);
  });

  it('refuses a connection past maxConnections with 503', async () => {
    const wss = await startServer({ maxConnections: 1 });
    await connectPair(wss);
    const error = (await rejectionOf(
      connectWebSocket(`ws://127.0.0.1:${wss.port}/`),
    )) as WebSocketError;
    expect(error.code).toBe('WEBSOCKET_ERR_HANDSHAKE');
    expect(error.message).toContain('503');
  });
});

describe('negotiation and the first frames', () => {
  it('agrees on a subprotocol both ends report', async () => {
    const wss = await startServer({ protocols: ['chat.v2', 'chat.v1'] });
    const { server, client } = await connectPair(wss, { protocols: ['chat.v1', 'chat.v2'] });
    expect(server.protocol).toBe('chat.v2');
    expect(client.protocol).toBe('chat.v2');
  });

  it("hands the request head to the connection listener, with the client's extra headers", async () => {
    const wss = await startServer();
    const accepted = nextEvent<
      [WebSocketConnection, { target: string; headers: Map<string, string> }]
    >(wss, 'connection');
    const client = await connectWebSocket(`ws://127.0.0.1:${wss.port}/path?q=1`, {
      headers: { Authorization: 'Bearer t0ken' },
      origin: 'https://app.example',
    });
    onTestFinished(() => client.terminate());
    const [, request] = await accepted;
    expect(request.target).toBe('/path?q=1');
    expect(request.headers.get('authorization')).toBe('Bearer t0ken');
    expect(request.headers.get('origin')).toBe('https://app.example');
  });

  it('reads frames that arrived in the same packet as the request head', async () => {
    const wss = await startServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const socket = await rawSocket(wss.port);
    const frame = encodeFrame({
      opcode: OPCODES.TEXT,
      payload: Buffer.from('early'),
      mask: Buffer.from([1, 2, 3, 4]),
    });
    socket.write(Buffer.concat([Buffer.from(GOOD_HEAD(wss.port), 'latin1'), ...frame]));
    const [server] = await accepted;
    const [data] = await nextEvent<[Buffer]>(server, 'message');
    expect(data.toString()).toBe('early');
  });
});

describe('handshake timeouts and slowloris', () => {
  it('keeps serving good clients while 200 handshakes stall, and drops the stalled at the deadline', async () => {
    const clock = new ManualClock();
    const wss = await startServer({ clock, handshakeTimeoutMs: 10_000 });
    const stalled: net.Socket[] = [];
    for (let i = 0; i < 200; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: wss.port });
      onTestFinished(() => {
        socket.destroy();
      });
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr');
      stalled.push(socket);
    }
    await withTimeout(
      Promise.all(stalled.map((socket) => nextEvent(socket, 'connect'))).catch(() => undefined),
      'the stalled sockets to connect',
    );
    // A good client still connects, well within its own timeout.
    const { server, client } = await connectPair(wss, { handshakeTimeoutMs: 3000 });
    const received = nextEvent<[Buffer]>(server, 'message');
    client.send('still here');
    expect((await received)[0].toString()).toBe('still here');
    // The stalled ones have sent their bytes; at the deadline each is destroyed.
    const closed = stalled.map((socket) => nextEvent(socket, 'close', 5000));
    clock.advance(10_000);
    await withTimeout(Promise.all(closed), 'the stalled sockets to be closed');
    expect(client.readyState).toBe(1);
  });

  it('gives up on a server that never answers with WEBSOCKET_ERR_CONNECTION', async () => {
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const error = (await rejectionOf(
      connectWebSocket(`ws://127.0.0.1:${port}/`, { handshakeTimeoutMs: 100 }),
    )) as WebSocketError;
    expect(error.code).toBe('WEBSOCKET_ERR_CONNECTION');
    expect(error.message).toContain('handshakeTimeoutMs');
  });
});

describe('attached to an HTTP server', () => {
  /** An HTTP server on a free port answering plain requests, closed when the test ends. */
  async function httpServer(): Promise<{ server: http.Server; port: number }> {
    const server = http.createServer((_req, res) => res.end('plain http'));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as net.AddressInfo).port };
  }

  it('upgrades on its upgrade event and leaves plain requests to it', async () => {
    const { server, port } = await httpServer();
    const wss = new WebSocketServer({ server, protocols: ['p'] });
    onTestFinished(() => wss.close());
    expect(wss.port).toBe(port);
    const accepted = nextEvent<[WebSocketConnection, { target: string }]>(wss, 'connection');
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/room?id=7`, { protocols: ['p'] });
    onTestFinished(() => client.terminate());
    const [ws, request] = await accepted;
    expect(request.target).toBe('/room?id=7');
    expect(ws.protocol).toBe('p');
    const received = nextEvent<[Buffer]>(client, 'message');
    ws.send('attached');
    expect((await received)[0].toString()).toBe('attached');
    const plain = await answerTo(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(plain).toContain('plain http');
    const refused = await answerTo(
      port,
      GOOD_HEAD(port).replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'),
    );
    expect(refused).toMatch(/^HTTP\/1\.1 426 /);
  });

  it('lets users route upgrades themselves with handleUpgrade', async () => {
    const { server, port } = await httpServer();
    const wss = new WebSocketServer({ server: new http.Server() });
    onTestFinished(() => wss.close());
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/ws') wss.handleUpgrade(req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/ws`);
    onTestFinished(() => client.terminate());
    await accepted;
    const error = (await rejectionOf(
      connectWebSocket(`ws://127.0.0.1:${port}/other`),
    )) as WebSocketError;
    expect(error.code).toBe('WEBSOCKET_ERR_HANDSHAKE');
    expect(error.message).toContain('404');
  });
});

describe('close()', () => {
  it('closes every connection with 1001 and stops listening', async () => {
    const wss = new WebSocketServer({ port: 0 });
    await nextEvent(wss, 'listening');
    const port = wss.port;
    const first = await connectPair(wss);
    const second = await connectPair(wss);
    const closes = [closeOf(first.client), closeOf(second.client)];
    await withTimeout(wss.close(), 'the server to close');
    expect((await Promise.all(closes)).map((c) => c.code)).toEqual([1001, 1001]);
    expect(wss.clients.size).toBe(0);
    const error = (await rejectionOf(
      connectWebSocket(`ws://127.0.0.1:${port}/`),
    )) as WebSocketError;
    expect(error.code).toBe('WEBSOCKET_ERR_CONNECTION');
    await pollUntil(() => wss.address() === null, 'the listener to be gone');
  });
});
