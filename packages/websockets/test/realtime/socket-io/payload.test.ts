import { rejectionOf, thrownBy, trapUncaughtErrors } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  checkPayload,
  DEFAULT_MAX_EVENT_DEPTH,
  emitWithAckTimeout,
  payloadGuard,
  type RealtimeError,
} from '../../../src/realtime/index.ts';
import { connectClient, startServer } from './harness.ts';
import { connectRawClient } from './raw-client.ts';

/** `[[[ … ]]]`, `depth` arrays deep, as text (what a hostile client sends) and as a value. */
const nestedText = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nested = (depth: number): unknown => JSON.parse(nestedText(depth));

describe('checkPayload', () => {
  it.each([
    ['null', null],
    ['a string', 'héllo'],
    ['a chat message', { room: 'lobby', text: 'hi', tags: ['a', 'b'], n: 1.5, ok: true }],
    ['binary', { name: 'a.bin', bytes: Buffer.from([1, 2, 3]) }],
    ['an ArrayBuffer', new ArrayBuffer(8)],
    ['an object without a prototype', Object.assign(Object.create(null), { a: 1 })],
    [`${DEFAULT_MAX_EVENT_DEPTH} levels`, nested(DEFAULT_MAX_EVENT_DEPTH)],
  ])('accepts %s', (_name, value) => {
    expect(() => checkPayload(value)).not.toThrow();
  });

  it.each([
    ['one level too deep', nested(DEFAULT_MAX_EVENT_DEPTH + 1), /nesting deeper than 16 levels/],
    ['100,000 levels (no stack overflow)', nested(100_000), /nesting deeper than 16 levels/],
    ['a string past 16 KiB', 'x'.repeat(16 * 1024 + 1), /more than 16384 bytes/],
    ['many small values', Array.from({ length: 3_000 }, () => 1), /more than 16384 bytes/],
    ['NaN', { n: Number.NaN }, /not finite/],
    ['a function', { f: () => {} }, /not plain data \(function\)/],
    ['a Date', { at: new Date(0) }, /not plain data/],
    ['a class instance', { m: new Map() }, /not plain data/],
    ['undefined', [undefined], /not plain data \(undefined\)/],
  ])('refuses %s with REALTIME_ERR_PAYLOAD', (_name, value, message) => {
    const err = thrownBy(() => checkPayload(value), 'checkPayload');
    expect(err.code).toBe('REALTIME_ERR_PAYLOAD');
    expect(err.message).toMatch(message);
  });

  it('says where the first value past a limit is', () => {
    const err = thrownBy(() => checkPayload({ a: [0, { b: [[1]] }] }, { maxDepth: 4 }));
    expect(err.message).toBe('payload refused: nesting deeper than 4 levels at $.a[1].b[0]');
  });

  it('stops on a cycle instead of walking it for ever', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(thrownBy(() => checkPayload(cyclic)).code).toBe('REALTIME_ERR_PAYLOAD');
  });

  it('refuses limits that are not positive integers', () => {
    for (const limits of [{ maxDepth: 0 }, { maxBytes: -1 }, { maxDepth: 1.5 }]) {
      expect(() => checkPayload(1, limits)).toThrow(RangeError);
    }
  });

  it('accepts any JSON value within its limits (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        checkPayload(value, { maxDepth: 8, maxBytes: 1 << 24 });
      }),
    );
  });
});

describe('why the check comes before any relay', () => {
  it('socket.io throws RangeError when emitting a deeply nested value (pitfall 12)', async () => {
    const { io } = await startServer();
    // socket.io-parser looks for binary parts recursively: in a handler, this throw would be
    // uncaught and end the process.
    expect(() => io.emit('chat:message', nested(10_000) as never)).toThrow(RangeError);
  });
});

describe('payloadGuard', () => {
  it('refuses a deeply nested payload from a client, and the server keeps serving the others', async () => {
    const trap = trapUncaughtErrors();
    onTestFinished(() => trap.restore());
    const { io, port, url } = await startServer();
    const refused: string[] = [];
    io.on('connection', (socket) => {
      socket.use(payloadGuard({ onRefused: (err, event) => refused.push(`${event} ${err.code}`) }));
      socket.on('room:join', async (room, ack) => {
        await socket.join(room);
        ack({ members: (await io.in(room).fetchSockets()).length });
      });
      // An unguarded relay: what pitfall 12 is about.
      socket.on('chat:post', (message, ack) => {
        io.to(message.room).emit('chat:message', { ...message, from: socket.id, at: Date.now() });
        ack({ at: Date.now() });
      });
    });
    const ann = await connectClient(url);
    await emitWithAckTimeout(ann, 2_000, 'room:join', 'lobby');

    // socket.io-client cannot even encode such a value (its encoder recurses too), so the
    // hostile client writes the Socket.IO packet by hand: event 42, ack id 7.
    const hostile = await connectRawClient(port);
    hostile.send(`427["chat:post",{"room":"lobby","text":${nestedText(10_000)}}]`);
    const answer = await hostile.next((p) => p.startsWith('437'), 'the ack of the refused post');
    const [reply] = JSON.parse(answer.slice(3)) as [{ error: { code: string; reason: string } }];
    expect(reply.error.code).toBe('REALTIME_ERR_PAYLOAD');
    expect(reply.error.reason).toMatch(
      /^payload refused: nesting deeper than 16 levels at \$\[0\]\.text(\[0\]){15}$/,
    );
    expect(refused).toEqual(['chat:post REALTIME_ERR_PAYLOAD']);

    // The process is alive, and the hostile client's connection and the others' still work.
    await expect(
      emitWithAckTimeout(ann, 2_000, 'chat:post', { room: 'lobby', text: 'still here' }),
    ).resolves.toMatchObject({ at: expect.any(Number) });
    hostile.send('428["room:join","lobby"]');
    expect(await hostile.next((p) => p.startsWith('438'), 'the hostile join ack')).toBe(
      '438[{"members":2}]',
    );
    expect(trap.errors).toEqual([]);
  });

  it('checks each event against the contract, and refuses events it does not name', async () => {
    const { io, url } = await startServer();
    const handled: string[] = [];
    io.on('connection', (socket) => {
      socket.use(
        payloadGuard({
          events: {
            'chat:post': ([m]) =>
              typeof m === 'object' &&
              m !== null &&
              typeof (m as { text?: unknown }).text === 'string'
                ? undefined
                : 'expected { room, text }',
          },
        }),
      );
      socket.on('chat:post', (message, ack) => {
        handled.push(message.text);
        ack({ at: 1 });
      });
      socket.on('room:join', (_room, ack) => ack({ members: 1 }));
    });
    const client = await connectClient(url);
    const wrongShape = (await rejectionOf(
      emitWithAckTimeout(client, 2_000, 'chat:post', { room: 'lobby', text: 42 } as never),
    )) as RealtimeError;
    expect(wrongShape.code).toBe('REALTIME_ERR_PAYLOAD');
    expect(wrongShape.message).toContain("'chat:post' refused: expected { room, text }");
    const unknown = (await rejectionOf(
      emitWithAckTimeout(client, 2_000, 'room:join', 'lobby'),
    )) as RealtimeError;
    expect(unknown.message).toContain("event 'room:join' is not part of the contract");
    await expect(
      emitWithAckTimeout(client, 2_000, 'chat:post', { room: 'lobby', text: 'ok' }),
    ).resolves.toEqual({ at: 1 });
    expect(handled).toEqual(['ok']);
  });
});
