import { randomFillSync } from 'node:crypto';
import { ManualClock, nextEvent, pollUntil, rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { WebSocketConnection } from '../../src/connection/index.ts';
import { WebSocketError } from '../../src/errors.ts';
import { OPCODES } from '../../src/frame/index.ts';
import { closeCodeOf, closeOf, connectPair, RawPeer, startServer } from './peers.ts';

/** Resolves with the next message `ws` receives. */
async function nextMessage(ws: WebSocketConnection): Promise<{ data: Buffer; isBinary: boolean }> {
  const [data, isBinary] = await nextEvent<[Buffer, boolean]>(ws, 'message');
  return { data, isBinary };
}

describe('messages between our client and our server', () => {
  it('carries text, binary and empty messages both ways', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    expect(client.readyState).toBe(WebSocketConnection.OPEN);
    expect(client.role).toBe('client');

    let received = nextMessage(server);
    expect(client.send('héllo ✓')).toBe(true);
    expect(await received).toEqual({ data: Buffer.from('héllo ✓'), isBinary: false });

    received = nextMessage(client);
    server.send(Uint8Array.from([0, 1, 2, 255]));
    expect(await received).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });

    received = nextMessage(server);
    client.send('');
    expect(await received).toEqual({ data: Buffer.alloc(0), isBinary: false });

    received = nextMessage(client);
    server.send(Buffer.alloc(0), { binary: true });
    expect(await received).toEqual({ data: Buffer.alloc(0), isBinary: true });

    received = nextMessage(server);
    client.send('as bytes', { binary: true });
    expect(await received).toEqual({ data: Buffer.from('as bytes'), isBinary: true });
  });

  it('carries a 1 MiB message each way intact', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    const big = randomFillSync(Buffer.alloc(1024 * 1024));
    let received = nextMessage(server);
    client.send(big);
    expect((await received).data.equals(big)).toBe(true);
    received = nextMessage(client);
    server.send(big);
    expect((await received).data.equals(big)).toBe(true);
  });

  it('yields messages through async iteration until the connection closes', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const { data } of server) seen.push(data.toString());
    })();
    for (let i = 0; i < 40; i++) client.send(`m${i}`);
    client.close(1000);
    await withTimeout(reading, 'the iteration to end');
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
  });

  it('stops listening when the loop is left early, and the connection stays open', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    for (let i = 0; i < 20; i++) client.send(`m${i}`); // more than the 16 that pause the socket
    const seen: string[] = [];
    for await (const { data } of server) {
      seen.push(data.toString());
      if (seen.length === 3) break;
    }
    expect(server.listenerCount('message')).toBe(0);
    expect(server.readyState).toBe(WebSocketConnection.OPEN);
    const later: string[] = [];
    server.on('message', (data) => later.push(data.toString()));
    client.send('after');
    // The socket was resumed, so messages keep coming (those queued for the loop are dropped).
    await pollUntil(() => later.includes('after'), 'a message after the loop');
  });

  it('joins a fragmented message sent by hand, with a ping between the fragments', async () => {
    const wss = await startServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    const received = nextMessage(server);
    peer.sendFrame({ opcode: OPCODES.TEXT, fin: false, payload: Buffer.from('Hel') });
    peer.sendFrame({ opcode: OPCODES.PING, payload: Buffer.from('mid') });
    peer.sendFrame({ opcode: OPCODES.CONTINUATION, fin: false, payload: Buffer.from('lo, ') });
    peer.sendFrame({ opcode: OPCODES.CONTINUATION, payload: Buffer.from('world') });
    const pong = await peer.nextFrame('the pong');
    expect(pong.opcode).toBe(OPCODES.PONG);
    expect(pong.payload.toString()).toBe('mid');
    expect(pong.masked).toBe(false);
    expect(await received).toEqual({ data: Buffer.from('Hello, world'), isBinary: false });
  });
});

describe('ping and pong', () => {
  it('answers a ping with a pong echoing its payload, and reports both', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    const pinged = nextEvent<[Buffer]>(server, 'ping');
    const ponged = nextEvent<[Buffer]>(client, 'pong');
    client.ping('are you there');
    expect((await pinged)[0].toString()).toBe('are you there');
    expect((await ponged)[0].toString()).toBe('are you there');
    expect(() => client.ping(Buffer.alloc(126))).toThrow(RangeError);
  });
});

describe('the closing handshake', () => {
  it('closes from the client with a code and reason, echoed by the server', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    const serverClosed = closeOf(server);
    const clientClosed = closeOf(client);
    client.close(4001, 'done here');
    expect(client.readyState).toBe(WebSocketConnection.CLOSING);
    expect(await serverClosed).toEqual({ code: 4001, reason: 'done here' });
    expect(await clientClosed).toEqual({ code: 4001, reason: '' });
    expect(client.readyState).toBe(WebSocketConnection.CLOSED);
    expect(wss.clients.size).toBe(0);
  });

  it('closes from the server, and an empty close is answered with an empty one (1005)', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    let clientClosed = closeOf(client);
    server.close(1001, 'going away');
    expect(await clientClosed).toEqual({ code: 1001, reason: 'going away' });

    const second = await connectPair(wss);
    clientClosed = closeOf(second.client);
    const serverClosed = closeOf(second.server);
    second.server.close();
    expect(await clientClosed).toEqual({ code: 1005, reason: '' });
    expect(await serverClosed).toEqual({ code: 1005, reason: '' });
    expect(server.readyState).toBe(WebSocketConnection.CLOSED);
  });

  it('lets the server close TCP first: the raw client sees the echo, then the FIN', async () => {
    const wss = await startServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    const closed = closeOf(server);
    peer.sendFrame({ opcode: OPCODES.CLOSE, payload: Buffer.from([0x03, 0xe8, 0x6f, 0x6b]) });
    const echo = await peer.nextFrame('the echoed close');
    expect(echo.opcode).toBe(OPCODES.CLOSE);
    expect(closeCodeOf(echo)).toBe(1000);
    await peer.waitEnded();
    peer.socket.end();
    expect(await closed).toEqual({ code: 1000, reason: 'ok' });
  });

  it('throws WEBSOCKET_ERR_CLOSED on send, ping and pong once closing or closed', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    const closed = closeOf(server);
    client.close(1000);
    for (const act of [() => client.send('x'), () => client.ping(), () => client.pong()]) {
      expect(() => act()).toThrow(WebSocketError);
    }
    await closed;
    const error = (() => {
      try {
        server.send('late');
      } catch (err) {
        return err as WebSocketError;
      }
    })();
    expect(error?.code).toBe('WEBSOCKET_ERR_CLOSED');
  });

  it('refuses a close code that may not be sent, and sends nothing', async () => {
    const wss = await startServer();
    const { client } = await connectPair(wss);
    expect(() => client.close(1005)).toThrow(RangeError);
    expect(() => client.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(client.readyState).toBe(WebSocketConnection.OPEN);
  });

  it('destroys the socket after closeTimeoutMs when the peer never answers, reporting 1006', async () => {
    const clock = new ManualClock();
    const wss = await startServer({ clock, closeTimeoutMs: 2000 });
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    const closed = closeOf(server);
    server.close(1000, 'bye');
    const frame = await peer.nextFrame('the close frame');
    expect(closeCodeOf(frame)).toBe(1000);
    clock.advance(1999);
    expect(server.readyState).toBe(WebSocketConnection.CLOSING);
    clock.advance(1);
    expect(await closed).toEqual({ code: 1006, reason: '' });
    await peer.waitEnded();
  });

  it('reports 1006 when the peer drops TCP without a close frame', async () => {
    const wss = await startServer();
    const { server, client } = await connectPair(wss);
    const closed = closeOf(server);
    client.terminate();
    expect(await closed).toEqual({ code: 1006, reason: '' });
  });

  it('ignores frames that follow a close frame', async () => {
    const wss = await startServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    const messages: string[] = [];
    server.on('message', (data) => messages.push(data.toString()));
    const closed = closeOf(server);
    peer.sendFrame({ opcode: OPCODES.TEXT, payload: Buffer.from('before') });
    peer.sendFrame({ opcode: OPCODES.CLOSE, payload: Buffer.from([0x03, 0xe8]) });
    peer.sendFrame({ opcode: OPCODES.TEXT, payload: Buffer.from('after') });
    peer.socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0])); // a reserved opcode, never read
    await peer.waitEnded();
    peer.socket.end();
    expect(await closed).toEqual({ code: 1000, reason: '' });
    expect(messages).toEqual(['before']);
  });
});

describe('heartbeat', () => {
  it('pings every interval and destroys a peer that never pongs, reporting 1006', async () => {
    const clock = new ManualClock();
    const wss = await startServer({ clock, heartbeatIntervalMs: 1000 });
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    const closed = closeOf(server);
    clock.advance(1000);
    expect((await peer.nextFrame('the heartbeat ping')).opcode).toBe(OPCODES.PING);
    expect(server.readyState).toBe(WebSocketConnection.OPEN);
    clock.advance(1000);
    expect(await closed).toEqual({ code: 1006, reason: '' });
    await peer.waitEnded();
  });

  it('keeps a peer that answers the pings', async () => {
    const clock = new ManualClock();
    const wss = await startServer({ clock, heartbeatIntervalMs: 1000 });
    const { server } = await connectPair(wss);
    for (let i = 0; i < 3; i++) {
      const ponged = nextEvent(server, 'pong');
      clock.advance(1000);
      await ponged;
    }
    clock.advance(1000);
    expect(server.readyState).toBe(WebSocketConnection.OPEN);
  });
});

describe('backpressure', () => {
  it('reports bufferedAmount and send() false while the peer does not read, then drain', async () => {
    const wss = await startServer();
    const accepted = nextEvent<[WebSocketConnection]>(wss, 'connection');
    const peer = await RawPeer.connect(wss.port);
    const [server] = await accepted;
    peer.socket.pause();
    peer.socket.removeAllListeners('data');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    // Fill the kernel's buffers: stop once send() says wait and bytes are still queued here.
    let sends = 0;
    while (sends < 2000 && (server.send(chunk) || server.bufferedAmount === 0)) sends++;
    expect(sends).toBeLessThan(2000);
    const queued = server.bufferedAmount;
    expect(queued).toBeGreaterThan(0);
    expect(server.send(chunk)).toBe(false);
    expect(server.bufferedAmount).toBeGreaterThan(queued);
    const drained = nextEvent(server, 'drain', 10_000);
    peer.socket.on('data', () => {});
    peer.socket.resume();
    await drained;
    await pollUntil(() => server.bufferedAmount === 0, 'the buffer to empty');
  });
});

describe('errors', () => {
  it('rejects WEBSOCKET_ERR_CONNECTION when nobody listens', async () => {
    const wss = await startServer();
    const port = wss.port;
    await wss.close();
    const { connectWebSocket } = await import('../../src/connection/index.ts');
    const error = await rejectionOf(connectWebSocket(`ws://127.0.0.1:${port}/`));
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).code).toBe('WEBSOCKET_ERR_CONNECTION');
  });
});
