import type net from 'node:net';
import { connectTcp, pollUntil, trapUncaughtErrors, withTimeout } from '@socketlab/testkit';
import fc from 'fast-check';
import type { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFloodGuard, floodGuardServerOptions } from '../../../src/realtime/index.ts';
import { connectClient, expectEchoWorks, startIo } from '../rate-limit/harness.ts';
import { openRawEngine, openRawPolling, type RawEngineSocket } from './raw-engine.ts';

// Malformed Engine.IO and Socket.IO input, sent raw, against socket.io 4.8.4 behind the flood
// guard (the class of socket.io-parser CVE-2022-2421 and CVE-2023-32695, engine.io
// CVE-2022-41940). Every case checks three things: the server never throws outside a handler
// (a trap on 'uncaughtException' that would otherwise stop the process), a good client's echo
// still works afterwards, and the engine is back to the good client alone (nothing leaks).
//
// maxHttpBufferSize is 1 MB here (floodGuardServerOptions' default is 64 KiB) so that a payload
// nested 100,000 deep (200 KB) reaches the parser and the guard instead of being cut off by size.

const MAX_PAYLOAD = 1_000_000;

interface Fixture {
  io: Server;
  port: number;
  good: ClientSocket;
}

async function startFixture(
  engine: { pingInterval?: number; pingTimeout?: number } = {},
): Promise<Fixture> {
  const trap = trapUncaughtErrors();
  onTestFinished(() => {
    trap.restore();
    expect(
      trap.errors.map((e) => e.message),
      'errors thrown outside any handler',
    ).toEqual([]);
  });
  const guard = createFloodGuard({ connectionBurst: 10_000, eventBurst: 1_000 });
  const { io, port, url } = await startIo(
    { ...floodGuardServerOptions({ maxPayloadBytes: MAX_PAYLOAD }), ...engine },
    (server) => {
      guard.install(server);
      server.on('connection', (socket) => {
        socket.on('echo', (value: unknown, ack: unknown) => {
          // A hostile packet can put anything where the ack goes: call it only if it is one.
          if (typeof ack === 'function') ack(value);
        });
      });
    },
  );
  const good = await connectClient(url);
  return { io, port, good };
}

/** After a hostile client: the server serves the good client, and holds nothing else. */
async function expectUnharmed(f: Fixture): Promise<void> {
  await expectEchoWorks(f.good);
  await pollUntil(() => f.io.engine.clientsCount === 1, 'the engine to hold the good client only');
}

const PROBE = '421["echo","probe"]';
const PROBE_ANSWER = '431["probe"]';

let nested = '1';
for (let i = 0; i < 100_000; i++) nested = `[${nested}]`;
const DEEP = nested;

interface WsCase {
  readonly name: string;
  readonly frames: ReadonlyArray<string | Buffer | { readonly invalidText: Buffer }>;
  /** `closed`: the server must drop us; `harmless`: socket.io accepts it, and it harms no one. */
  readonly expect: 'closed' | 'harmless';
  readonly join?: boolean;
  /** A message the server must have sent before closing (the guard's reason). */
  readonly told?: string;
}

const placeholder = (num: string) => `{"_placeholder":true,"num":${num}}`;

const WS_CASES: readonly WsCase[] = [
  {
    name: 'a binary event announcing 1 attachment, then text instead of it',
    frames: [`451-["echo",${placeholder('0')}]`, '42["echo",1]'],
    expect: 'closed',
  },
  {
    name: 'a binary event announcing 9,999,999,999 attachments',
    frames: [`459999999999-["echo",${placeholder('0')}]`],
    expect: 'closed',
  },
  {
    name: 'a placeholder numbered "__proto__" (CVE-2023-32695 class)',
    frames: [`451-["echo",${placeholder('"__proto__"')}]`, Buffer.from([1, 2, 3])],
    expect: 'closed',
  },
  {
    name: 'a placeholder numbered 5 of 1 attachment',
    frames: [`451-["echo",${placeholder('5')}]`, Buffer.from([1, 2, 3])],
    expect: 'closed',
  },
  {
    name: 'a placeholder numbered -1',
    frames: [`451-["echo",${placeholder('-1')}]`, Buffer.from([1])],
    expect: 'closed',
  },
  { name: 'a binary frame with no binary packet', frames: [Buffer.from([4, 2])], expect: 'closed' },
  {
    name: 'an event nested 100,000 deep, with an ack (pitfall 12)',
    frames: [`421["echo",${DEEP}]`],
    expect: 'closed',
    told: '42["realtime:error",{"code":"REALTIME_ERR_PAYLOAD"',
  },
  {
    name: 'a number too large for a double (1e999999)',
    frames: ['421["echo",1e999999]'],
    expect: 'closed',
    told: '42["realtime:error",{"code":"REALTIME_ERR_PAYLOAD"',
  },
  {
    name: 'a 900-digit number',
    frames: [`421["echo",${'9'.repeat(900)}]`],
    expect: 'closed',
    told: '42["realtime:error",{"code":"REALTIME_ERR_PAYLOAD"',
  },
  {
    name: 'an event name that is a number',
    frames: ['42[1,2]'],
    expect: 'closed',
    told: '42["realtime:error",{"code":"REALTIME_ERR_PAYLOAD"',
  },
  {
    name: 'an event before the namespace connect (40)',
    frames: ['42["echo",1]'],
    expect: 'closed',
    join: false,
  },
  { name: 'an unknown Engine.IO packet type (9)', frames: ['9hello'], expect: 'closed' },
  { name: 'an unknown Socket.IO packet type (7)', frames: ['47["x"]'], expect: 'closed' },
  { name: 'JSON cut short', frames: ['42["echo",'], expect: 'closed' },
  { name: 'an event that is an object, not an array', frames: ['42{"a":1}'], expect: 'closed' },
  { name: 'an empty message', frames: [''], expect: 'closed' },
  { name: 'a reserved event name (disconnect)', frames: ['42["disconnect"]'], expect: 'closed' },
  {
    name: 'a text frame that is not UTF-8',
    frames: [{ invalidText: Buffer.from([0x34, 0x32, 0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]) }],
    expect: 'closed',
  },
  {
    name: 'a message over maxHttpBufferSize',
    frames: [`42["echo","${'x'.repeat(MAX_PAYLOAD + 10)}"]`],
    expect: 'closed',
  },
  {
    name: 'an ack id of 25 digits',
    frames: ['4299999999999999999999999["echo",1]'],
    expect: 'harmless',
  },
  {
    name: 'a connect to a namespace that does not exist',
    frames: ['40/nope,'],
    expect: 'harmless',
  },
];

async function sendFrames(raw: RawEngineSocket, frames: WsCase['frames']): Promise<void> {
  for (const frame of frames) {
    if (raw.isClosed()) return;
    await new Promise<void>((resolve) => {
      if (typeof frame === 'string') raw.ws.send(frame, () => resolve());
      else if (Buffer.isBuffer(frame)) raw.ws.send(frame, { binary: true }, () => resolve());
      else raw.ws.send(frame.invalidText, { binary: false }, () => resolve());
    });
  }
}

describe('hostile input over a raw WebSocket', () => {
  it.each(WS_CASES)('$name: $expect, and others are unharmed', async (c) => {
    const f = await startFixture();
    const raw = await openRawEngine(f.port, { join: c.join ?? true });
    await sendFrames(raw, c.frames);
    if (c.expect === 'closed') {
      await withTimeout(raw.closed, 'the server to drop the hostile client');
      if (c.told) expect(raw.received.some((m) => m.startsWith(c.told as string))).toBe(true);
    } else {
      raw.ws.send(PROBE);
      await raw.next((m) => m === PROBE_ANSWER, 'the probe echo on the same connection');
      raw.ws.close();
      await raw.closed;
    }
    await expectUnharmed(f);
  });

  it('without the guard, socket.io 4.8.4 overflows the stack acking a deep payload (why the guard checks depth)', async () => {
    const trap = trapUncaughtErrors();
    onTestFinished(() => trap.restore());
    const { port } = await startIo({ maxHttpBufferSize: MAX_PAYLOAD }, (io) => {
      io.on('connection', (socket) => {
        socket.on('echo', (value: unknown, ack: unknown) => {
          if (typeof ack === 'function') ack(value);
        });
      });
    });
    const raw = await openRawEngine(port);
    raw.ws.send(`421["echo",${DEEP}]`);
    await pollUntil(() => trap.errors.length > 0, 'the RangeError thrown outside the handler');
    expect(trap.errors[0]).toBeInstanceOf(RangeError);
    expect(trap.errors[0]?.message).toMatch(/call stack/);
  });
});

describe('hostile input over HTTP long-polling', () => {
  /** The session is gone: a GET is refused (400), or carries the close packet (1). */
  async function expectSessionClosed(poll: Awaited<ReturnType<typeof openRawPolling>>) {
    for (let i = 0; i < 3; i++) {
      const { status, text } = await poll.get();
      if (status === 400 || text.split('\x1e').includes('1')) return;
    }
    throw new Error('the polling session is still open after 3 GETs');
  }

  it.each([
    ['a body over maxHttpBufferSize', `42["echo","${'x'.repeat(MAX_PAYLOAD + 10)}"]`, 413],
    ['an unknown Engine.IO packet type', '9hello', 200],
    ['JSON cut short', '42["echo",', 200],
    ['a valid packet, then garbage, in one payload', '42["echo",1]\x1e9garbage', 200],
    ['an attachment announced, then text', `451-["echo",${placeholder('0')}]\x1e42["echo",1]`, 200],
    [
      'a placeholder numbered "__proto__", then its attachment',
      `451-["echo",${placeholder('"__proto__"')}]\x1ebAQID`,
      200,
    ],
  ])('%s: the session is closed, others are unharmed', async (_, body, status) => {
    const f = await startFixture();
    const poll = await openRawPolling(f.port);
    expect(await poll.post(body)).toBe(status);
    await expectSessionClosed(poll);
    await expectUnharmed(f);
  });

  it('a body that is not UTF-8 decodes to U+FFFD and harms no one', async () => {
    const f = await startFixture();
    const poll = await openRawPolling(f.port);
    expect(await poll.post(Buffer.from([0x34, 0x32, 0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]))).toBe(
      200,
    );
    expect(await poll.post(PROBE)).toBe(200);
    let answered = false;
    for (let i = 0; i < 3 && !answered; i++)
      answered = (await poll.get()).text.includes(PROBE_ANSWER);
    expect(answered).toBe(true);
    expect(await poll.post('1')).toBe(200); // we close it ourselves
    await expectUnharmed(f);
  });
});

describe('HTTP requests cut off mid-way (engine.io CVE-2022-41940 class)', () => {
  it.each([
    [
      'an upgrade request without Sec-WebSocket-Key, then a reset',
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
    ],
    [
      'a valid upgrade request, reset before the answer is read',
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ],
    [
      'a polling POST announcing 1000 bytes, sending 10, then a reset',
      'POST /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n42["echo",',
    ],
    [
      'a handshake GET, reset at once',
      'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
  ])('%s: the server stays up', async (_, request) => {
    // A handshake whose client vanished leaves a session that only the heartbeat can end (it
    // answers no ping): a short heartbeat here, so "nothing leaks" is checked within the test.
    const f = await startFixture({ pingInterval: 200, pingTimeout: 200 });
    const socket: net.Socket = await connectTcp(f.port);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.write(request, () => resolve()));
    socket.resetAndDestroy();
    await expectUnharmed(f);
  });
});

describe('random raw packets (fast-check, seeded)', () => {
  it('never crash the server: each is answered or dropped, and others are unharmed', {
    timeout: 90_000,
  }, async () => {
    const f = await startFixture();
    const packet = fc
      .tuple(
        fc.constantFrom(
          '',
          '0',
          '1',
          '2',
          '3',
          '4',
          '40',
          '41',
          '42',
          '421',
          '43',
          '44',
          '45',
          '451-',
          '452-',
          '46',
          '461-',
          '47',
          '5',
          '6',
          '9',
        ),
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.json({ depthSize: 'small' }),
          fc.constantFrom(
            '["echo",1]',
            '["echo"',
            `["echo",${placeholder('0')}]`,
            `["echo",${placeholder('"x"')}]`,
            '/nope,["echo"]',
            '[]',
            '"echo"',
            '-[',
          ),
        ),
      )
      .map(([prefix, body]) => prefix + body);
    const silent: string[] = [];
    await fc.assert(
      fc.asyncProperty(packet, async (text) => {
        const raw = await openRawEngine(f.port);
        try {
          raw.ws.send(text);
          if (!raw.isClosed()) raw.ws.send(PROBE);
          // The server drops us, or still answers the probe on the same connection, or (a
          // namespace disconnect, 41, that the probe crossed) leaves an idle connection.
          const outcome = await Promise.race([
            raw.closed.then(() => 'closed'),
            raw
              .next((m) => m === PROBE_ANSWER, 'the probe', 2_000)
              .then(
                () => 'answered',
                () => (raw.isClosed() ? 'closed' : 'silent'),
              ),
          ]);
          if (outcome === 'silent') silent.push(text);
        } finally {
          raw.ws.terminate();
        }
        await expectUnharmed(f);
      }),
      { seed: 0x50c4e7, numRuns: 60 },
    );
    // A connection left idle is closed by the heartbeat (it answers no ping): never a leak.
    expect(silent.filter((text) => !text.startsWith('41'))).toEqual([]);
  });
});
