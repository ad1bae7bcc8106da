// Interoperability with the `ws` npm library (a devDependency, used only as a peer here).
import { randomFillSync } from 'node:crypto';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { connectWebSocket, type WebSocketConnection } from '../../src/connection/index.ts';
import { closeOf, startServer, wsEchoServer } from './peers.ts';

/** A `ws` client connected to `port`, terminated when the test ends. */
async function wsClient(port: number, protocols?: string[]): Promise<WebSocket> {
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, protocols);
  onTestFinished(() => client.terminate());
  await nextEvent(client, 'open');
  return client;
}

describe('the ws library as a client of our server', () => {
  it('exchanges text, binary and a 1 MiB message, and negotiates a subprotocol', async () => {
    const server = await startServer({ protocols: ['echo'] });
    server.on('connection', (ws) =>
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
    );
    const client = await wsClient(server.port, ['echo']);
    expect(client.protocol).toBe('echo');
    const big = randomFillSync(Buffer.alloc(1024 * 1024));
    for (const [data, binary] of [
      [Buffer.from('hello ✓'), false],
      [Buffer.from([0, 255, 7]), true],
      [big, true],
    ] as const) {
      const echoed = nextEvent<[Buffer, boolean]>(client, 'message');
      client.send(data, { binary });
      const [got, isBinary] = await echoed;
      expect(isBinary).toBe(binary);
      expect(Buffer.from(got).equals(data)).toBe(true);
    }
  });

  it('answers its ping, and runs the closing handshake from either side', async () => {
    const server = await startServer();
    let accepted = nextEvent<[WebSocketConnection]>(server, 'connection');
    let client = await wsClient(server.port);
    let [ours] = await accepted;
    const ponged = nextEvent<[Buffer]>(client, 'pong');
    client.ping(Buffer.from('p'));
    expect((await ponged)[0].toString()).toBe('p');

    let oursClosed = closeOf(ours);
    let theirsClosed = nextEvent<[number, Buffer]>(client, 'close');
    client.close(4000, 'from ws');
    expect(await oursClosed).toEqual({ code: 4000, reason: 'from ws' });
    expect((await theirsClosed)[0]).toBe(4000);

    accepted = nextEvent<[WebSocketConnection]>(server, 'connection');
    client = await wsClient(server.port);
    [ours] = await accepted;
    oursClosed = closeOf(ours);
    theirsClosed = nextEvent<[number, Buffer]>(client, 'close');
    ours.close(1001, 'from us');
    const [code, reason] = await theirsClosed;
    expect([code, reason.toString()]).toEqual([1001, 'from us']);
    expect((await oursClosed).code).toBe(1001);
  });
});

describe('our client against a ws server', () => {
  it('exchanges text, binary and a 1 MiB message', async () => {
    const { port } = await wsEchoServer();
    const client = await withTimeout(connectWebSocket(`ws://127.0.0.1:${port}/`), 'connecting');
    onTestFinished(() => client.terminate());
    const big = randomFillSync(Buffer.alloc(1024 * 1024));
    for (const [data, binary] of [
      [Buffer.from('hello ✓'), false],
      [Buffer.from([1, 2, 3]), true],
      [big, true],
    ] as const) {
      const echoed = nextEvent<[Buffer, boolean]>(client, 'message');
      client.send(data, { binary });
      const [got, isBinary] = await echoed;
      expect(isBinary).toBe(binary);
      expect(got.equals(data)).toBe(true);
    }
  });

  it('joins a message ws sends in fragments around a ping, pongs its pings, and gets its pongs', async () => {
    const { wss, port } = await wsEchoServer();
    const accepted = nextEvent<[WebSocket]>(wss, 'connection');
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => client.terminate());
    const [theirs] = await accepted;
    // Their fragments: "Caf" + the first byte of "é", a ping, then the last byte and more.
    const message = nextEvent<[Buffer, boolean]>(client, 'message');
    const pinged = nextEvent<[Buffer]>(client, 'ping');
    const ponged = nextEvent<[Buffer]>(theirs, 'pong');
    const text = Buffer.from('Café, in three pieces');
    theirs.send(text.subarray(0, 4), { binary: false, fin: false });
    theirs.ping('between');
    theirs.send(text.subarray(4, 9), { fin: false });
    theirs.send(text.subarray(9), { fin: true });
    const [got, isBinary] = await message;
    expect([got.toString(), isBinary]).toEqual([text.toString(), false]);
    expect((await pinged)[0].toString()).toBe('between');
    expect((await ponged)[0].toString()).toBe('between');
    // And the other way: our ping, their pong.
    const ours = nextEvent<[Buffer]>(client, 'pong');
    client.ping('from us');
    expect((await ours)[0].toString()).toBe('from us');
  });

  it('closes cleanly from either side', async () => {
    const { wss, port } = await wsEchoServer();
    let client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    onTestFinished(() => client.terminate());
    let closed = closeOf(client);
    client.close(1000, 'bye');
    expect(await closed).toEqual({ code: 1000, reason: 'bye' });

    const accepted = nextEvent<[WebSocket]>(wss, 'connection');
    client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    const [theirs] = await accepted;
    closed = closeOf(client);
    theirs.close(4002, 'from ws');
    expect(await closed).toEqual({ code: 4002, reason: 'from ws' });
  });
});
