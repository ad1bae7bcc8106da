// Interoperability of our server with the WHATWG WebSocket of Node: the `undici` package
// (7.x, the newest major that runs on Node 20) and, on Node 22 and later, Node's own global
// `WebSocket` (undici bundled into Node; Node 20 has it only behind --experimental-websocket).
import { createHash, randomFillSync } from 'node:crypto';
import { ManualClock, nextEvent, withTimeout } from '@socketlab/testkit';
import { WebSocket as UndiciWebSocket } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocketConnection } from '../../src/connection/index.ts';
import { OPCODES } from '../../src/frame/index.ts';
import type { HttpRequestHead } from '../../src/handshake/index.ts';
import { closeOf } from '../connection/peers.ts';
import {
  type AttachedServer,
  startAttachedServer,
  writeFragments,
  writePing,
} from '../helpers/attached-server.ts';

type WhatwgWebSocket = typeof UndiciWebSocket;

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const WAIT_MS = process.env.CI ? 20_000 : 5_000;

const CLIENTS: [string, () => WhatwgWebSocket][] = [['the undici package', () => UndiciWebSocket]];
if (NODE_MAJOR >= 22) {
  CLIENTS.push([
    `Node ${NODE_MAJOR}'s global WebSocket`,
    () => {
      const global = (globalThis as { WebSocket?: WhatwgWebSocket }).WebSocket;
      if (global === undefined) throw new Error(`Node ${process.version} has no global WebSocket`);
      return global;
    },
  ]);
}

/** One received message: text as a string, binary as a Buffer. */
type Received = { binary: false; data: string } | { binary: true; data: Buffer };

/** The client's close event, as a WHATWG WebSocket reports it. */
interface ClientClose {
  code: number;
  reason: string;
  wasClean: boolean;
}

/**
 * A WHATWG WebSocket connected to our server, with what it receives queued in order so a test
 * awaits each event (bounded) instead of registering listeners by hand.
 */
class Probe {
  private readonly received: Received[] = [];
  private closeEvent: ClientClose | undefined;
  /** Waiters to wake at the next event (a closed() and a next() may wait together). */
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: InstanceType<WhatwgWebSocket>) {
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (event) => {
      const data: unknown = event.data;
      this.received.push(
        typeof data === 'string'
          ? { binary: false, data }
          : { binary: true, data: Buffer.from(data as ArrayBuffer) },
      );
      this.wakeAll();
    });
    ws.addEventListener('close', (event) => {
      this.closeEvent = { code: event.code, reason: event.reason, wasClean: event.wasClean };
      this.wakeAll();
    });
  }

  /** Connects to `server` (at `path`), and resolves with both ends once they are open. */
  static async open(
    Client: WhatwgWebSocket,
    server: AttachedServer,
    { protocols = [], path = '/' }: { protocols?: string[]; path?: string } = {},
  ): Promise<{ probe: Probe; ours: WebSocketConnection; request: HttpRequestHead }> {
    const probe = new Probe(new Client(`ws://127.0.0.1:${server.port}${path}`, protocols));
    onTestFinished(() => {
      if (probe.closeEvent === undefined) probe.ws.close();
    });
    const opened = new Promise<void>((resolve, reject) => {
      probe.ws.addEventListener('open', () => resolve());
      probe.ws.addEventListener('error', () => reject(new Error('the client failed to connect')));
    });
    const [[ours, request]] = await Promise.all([
      nextEvent<[WebSocketConnection, HttpRequestHead]>(server.wss, 'connection', WAIT_MS),
      withTimeout(opened, "the client's 'open' event", WAIT_MS),
    ]);
    return { probe, ours, request };
  }

  /** The next message the client received. */
  next(what = 'a message at the client'): Promise<Received> {
    return this.until(() => this.received.shift(), what, true);
  }

  /** The client's close event. */
  closed(): Promise<ClientClose> {
    return this.until(() => this.closeEvent, "the client's 'close' event", false);
  }

  private wakeAll(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Waits (bounded) until `take` gives something; `failOnClose`: a close first is a failure. */
  private until<T>(take: () => T | undefined, what: string, failOnClose: boolean): Promise<T> {
    return withTimeout(
      (async () => {
        for (;;) {
          const value = take();
          if (value !== undefined) return value;
          if (failOnClose && this.closeEvent !== undefined) {
            throw new Error(`the client closed (code ${this.closeEvent.code}) before ${what}`);
          }
          await new Promise<void>((resolve) => {
            this.waiters.add(resolve);
          });
        }
      })(),
      what,
      WAIT_MS,
    );
  }
}

/** Our side echoes every message back as it came (text as text, binary as binary). */
function echo(ours: WebSocketConnection): void {
  ours.on('message', (data, isBinary) => ours.send(data, { binary: isBinary }));
}

describe.each(CLIENTS)('%s as a client of our server', (_name, clientOf) => {
  it('exchanges text and binary messages both ways, and is told the Origin it did not send', async () => {
    const server = await startAttachedServer();
    const requests: (string | undefined)[] = [];
    server.wss.on('connection', (_ws, request) => requests.push(request.headers.get('origin')));
    const { probe, ours } = await Probe.open(clientOf(), server);
    // A Node client sends no Origin (it has no page); the browser test checks a real one.
    expect(requests).toEqual([undefined]);

    const fromClient = nextEvent<[Buffer, boolean]>(ours, 'message', WAIT_MS);
    probe.ws.send('héllo ✓ 🌍');
    const [text, textIsBinary] = await fromClient;
    expect([text.toString('utf8'), textIsBinary]).toEqual(['héllo ✓ 🌍', false]);

    const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255]);
    const binaryFromClient = nextEvent<[Buffer, boolean]>(ours, 'message', WAIT_MS);
    probe.ws.send(bytes);
    const [binary, binaryIsBinary] = await binaryFromClient;
    expect(binaryIsBinary).toBe(true);
    expect([...binary]).toEqual([...bytes]);

    ours.send('from our server ✓');
    expect(await probe.next()).toEqual({ binary: false, data: 'from our server ✓' });
    ours.send(Buffer.from([9, 8, 7, 0]));
    expect(await probe.next()).toEqual({ binary: true, data: Buffer.from([9, 8, 7, 0]) });
    // An empty message of each kind.
    ours.send('');
    expect(await probe.next()).toEqual({ binary: false, data: '' });
    ours.send(Buffer.alloc(0));
    expect(await probe.next()).toEqual({ binary: true, data: Buffer.alloc(0) });
  });

  it('sends 1000 small messages that our server gets whole and in order', async () => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    const got: string[] = [];
    const all = withTimeout(
      new Promise<void>((resolve) =>
        ours.on('message', (data) => {
          if (got.push(data.toString()) === 1000) resolve();
        }),
      ),
      'the 1000 messages',
      WAIT_MS,
    );
    for (let i = 0; i < 1000; i++) probe.ws.send(`#${i} ✓`);
    await all;
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => `#${i} ✓`));
  });

  it('gets a message our server sends at once on connection, and our server sees its path and query', async () => {
    const server = await startAttachedServer();
    server.wss.on('connection', (ws) => ws.send('welcome ✓'));
    const { probe, request } = await Probe.open(clientOf(), server, { path: '/chat?room=1' });
    expect(request.target).toBe('/chat?room=1');
    expect(request.headers.get('host')).toBe(`127.0.0.1:${server.port}`);
    expect(await probe.next()).toEqual({ binary: false, data: 'welcome ✓' });
  });

  it('round-trips 1 MiB of multi-byte text', async () => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    echo(ours);
    // 1, 2, 3 and 4 UTF-8 bytes per character: every chunk boundary lands somewhere inside one.
    const text = 'aé✓🌍'.repeat(Math.ceil((1024 * 1024) / 10));
    probe.ws.send(text);
    const back = await probe.next('the echo of the text');
    expect(back.binary).toBe(false);
    expect(back.data === text).toBe(true);
  });

  it('joins a message our server sends in fragments, with a ping between them, into one', async () => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    echo(ours);
    const socket = server.socketOf(ours);
    // 'é' (C3 A9) and '✓' (E2 9C 93) are cut between fragments; the client must join bytes,
    // not decode each fragment on its own.
    const text = Buffer.from('héllo ✓ fragmented', 'utf8');
    const pongs: string[] = [];
    ours.on('pong', (data) => pongs.push(data.toString()));
    const [textReceived] = await Promise.all([
      probe.next(),
      nextEvent<[Buffer]>(ours, 'pong', WAIT_MS),
      writeFragments(
        socket,
        OPCODES.TEXT,
        [text.subarray(0, 2), text.subarray(2, 8), text.subarray(8)],
        (i) => {
          if (i === 0) writePing(socket, Buffer.from('between'));
        },
      ),
    ]);
    expect(textReceived).toEqual({ binary: false, data: 'héllo ✓ fragmented' });
    expect(pongs).toEqual(['between']);

    const bytes = randomFillSync(Buffer.alloc(3000));
    writeFragments(socket, OPCODES.BINARY, [
      bytes.subarray(0, 1000),
      Buffer.alloc(0), // an empty continuation is legal (RFC 6455 §5.4)
      bytes.subarray(1000, 2999),
      bytes.subarray(2999),
    ]);
    const received = await probe.next();
    expect(received.binary).toBe(true);
    expect((received.data as Buffer).equals(bytes)).toBe(true);

    // The stream is still in step: a round trip after the raw frames.
    const echoed = nextEvent<[Buffer, boolean]>(ours, 'message', WAIT_MS);
    probe.ws.send('still in step');
    expect((await echoed)[0].toString()).toBe('still in step');
    expect(await probe.next()).toEqual({ binary: false, data: 'still in step' });
  });

  it.each([
    ['1 MiB', 1024 * 1024],
    ['16 MiB (the default maxPayloadBytes, exactly)', 16 * 1024 * 1024],
  ])('round-trips %s byte for byte', async (_size, bytes) => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    echo(ours);
    const big = randomFillSync(Buffer.alloc(bytes));
    const [[got, isBinary]] = await Promise.all([
      nextEvent<[Buffer, boolean]>(ours, 'message', WAIT_MS * 2),
      probe.ws.send(big),
    ]);
    expect(isBinary).toBe(true);
    expect(got.length).toBe(bytes);
    expect(createHash('sha256').update(got).digest('hex')).toBe(
      createHash('sha256').update(big).digest('hex'),
    );
    const back = await probe.next('the echo of the big message');
    expect(back.binary).toBe(true);
    expect((back.data as Buffer).equals(big)).toBe(true);
  });

  it('negotiates the subprotocol our server prefers among those it offers', async () => {
    const server = await startAttachedServer({ protocols: ['chat.v2', 'chat.v1'] });
    const { probe, ours } = await Probe.open(clientOf(), server, {
      protocols: ['chat.v1', 'chat.v2'],
    });
    expect(probe.ws.protocol).toBe('chat.v2');
    expect(ours.protocol).toBe('chat.v2');
  });

  it("keeps our heartbeat satisfied with its pongs (the server's clock driven by hand)", async () => {
    const clock = new ManualClock();
    const server = await startAttachedServer({ heartbeatIntervalMs: 1000, clock });
    const { ours } = await Probe.open(clientOf(), server);
    for (let beat = 0; beat < 3; beat++) {
      const ponged = nextEvent<[Buffer]>(ours, 'pong', WAIT_MS);
      clock.advance(1000); // a ping goes out; without the last pong this would cut the peer
      await ponged;
      expect(ours.readyState).toBe(WebSocketConnection.OPEN);
    }
  });

  it("answers our server's ping with a pong carrying the same payload", async () => {
    const server = await startAttachedServer();
    const { ours } = await Probe.open(clientOf(), server);
    for (const payload of ['probe ✓', '', 'x'.repeat(125)]) {
      const ponged = nextEvent<[Buffer]>(ours, 'pong', WAIT_MS);
      ours.ping(payload);
      expect((await ponged)[0].toString()).toBe(payload);
    }
  });

  it('closes with a code and a 123-byte reason our side sees, and the echo closes it cleanly', async () => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    const reason = 'from the client ✓'.padEnd(121, '.'); // 123 bytes, the most a close allows
    expect(Buffer.byteLength(reason)).toBe(123);
    const [oursClosed, theirs] = await Promise.all([
      closeOf(ours),
      probe.closed(),
      probe.ws.close(4000, reason),
    ]);
    expect(oursClosed).toEqual({ code: 4000, reason });
    // Our answer echoes the code only (RFC 6455 §5.5.1).
    expect(theirs).toEqual({ code: 4000, reason: '', wasClean: true });
  });

  it('closes with no code: our side reports 1005, and so does the client', async () => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    const [oursClosed, theirs] = await Promise.all([
      closeOf(ours),
      probe.closed(),
      probe.ws.close(),
    ]);
    expect(oursClosed).toEqual({ code: 1005, reason: '' });
    expect(theirs).toEqual({ code: 1005, reason: '', wasClean: true });
  });

  it('sees the code and reason when our side closes', async () => {
    const server = await startAttachedServer();
    const { probe, ours } = await Probe.open(clientOf(), server);
    const [oursClosed, theirs] = await Promise.all([
      closeOf(ours),
      probe.closed(),
      ours.close(4001, 'from our server ✓'),
    ]);
    expect(theirs).toEqual({ code: 4001, reason: 'from our server ✓', wasClean: true });
    expect(oursClosed.code).toBe(4001);
  });

  it("is closed with 1001 by our server's close()", async () => {
    const server = await startAttachedServer();
    const { probe } = await Probe.open(clientOf(), server);
    const [theirs] = await Promise.all([
      probe.closed(),
      withTimeout(server.wss.close(), 'our server to close', WAIT_MS),
    ]);
    expect(theirs).toEqual({ code: 1001, reason: '', wasClean: true });
    expect(server.wss.clients.size).toBe(0);
  });

  it('is closed with 1009 when it sends one byte over our maxPayloadBytes', async () => {
    const server = await startAttachedServer({ maxPayloadBytes: 1024 });
    const { probe, ours } = await Probe.open(clientOf(), server);
    echo(ours);
    const errors: string[] = [];
    ours.on('error', (err) => errors.push(err.code));
    probe.ws.send(new Uint8Array(1024)); // exactly the limit: echoed
    expect((await probe.next()).data).toEqual(Buffer.alloc(1024));
    const [oursClosed, theirs] = await Promise.all([
      closeOf(ours),
      probe.closed(),
      probe.ws.send(new Uint8Array(1025)),
    ]);
    expect([theirs.code, theirs.wasClean]).toEqual([1009, true]);
    expect(oursClosed.code).toBe(1009);
    expect(errors).toEqual(['WEBSOCKET_ERR_MESSAGE_TOO_BIG']);
  });
});
