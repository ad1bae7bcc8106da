import type { AddressInfo } from 'node:net';
import {
  lessonOf,
  listenOnFreePort,
  loadExercise,
  rejectionOf,
  trapUncaughtErrors,
  withTimeout,
} from '@socketlab/testkit';
import type { Socket as ServerSocket } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRealtimeServer } from '../../src/realtime/index.ts';

// This spec grades both sides of an acknowledged event on real sockets (127.0.0.1, port 0): your
// emitWithTimeout() on a socket.io-client socket against a server whose handlers the spec writes
// (one that acks, one that never does, one that acks late), and your answerSums() handler on a
// server the spec runs, against clients that send good, malformed and ack-less `sum` events.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

/** A server (handlers given) and a connected client, both closed when the test finishes. */
async function connected(
  onConnection: (socket: ServerSocket) => void,
): Promise<{ client: ClientSocket }> {
  const io = createRealtimeServer({ connectionStateRecovery: false });
  onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
  io.on('connection', onConnection);
  await listenOnFreePort(io.httpServer);
  const { port } = io.httpServer.address() as AddressInfo;
  const client = connect(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  onTestFinished(() => {
    client.disconnect();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    }),
    'the client to connect',
  );
  return { client };
}

/** Ref'd timers alive in this process now (what would keep it running). */
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('emitWithTimeout', () => {
  it('resolves with the acknowledgement when it arrives in time', async () => {
    const { emitWithTimeout } = await load();
    const { client } = await connected((socket) => {
      socket.on('echo', (payload: unknown, ack: (v: unknown) => void) => ack(payload));
    });
    const reply = await withTimeout(
      Promise.resolve(emitWithTimeout(client, 'echo', { hello: ['world', 1] }, 2_000)),
      'emitWithTimeout to resolve',
    );
    expect(reply, `the ack's value, as the server sent it. ${lesson.see('Your task')}`).toEqual({
      hello: ['world', 1],
    });
  });

  it('rejects with code REALTIME_ERR_ACK_TIMEOUT, naming the event and the wait, when no ack comes', async () => {
    const { emitWithTimeout } = await load();
    let handled = 0;
    const { client } = await connected((socket) => {
      socket.on('slow', () => {
        handled += 1; // runs, but never acknowledges
      });
      socket.on('echo', (payload: unknown, ack: (v: unknown) => void) => ack(payload));
    });
    const err = await rejectionOf(
      Promise.resolve().then(() => emitWithTimeout(client, 'slow', 'job-1', 150)),
      'emitWithTimeout to an event nobody acknowledges',
      lesson.see('Your task'),
      3_000,
    );
    expect(err.code, `the timeout's error code. ${lesson.see('Your task')}`).toBe(
      'REALTIME_ERR_ACK_TIMEOUT',
    );
    expect(err.message, 'the message names the event').toContain('slow');
    expect(err.message, 'the message names the wait').toContain('150');
    // What a lost ack means: the handler ran all the same. (A client's events are handled in
    // order, so once the spec's own echo is answered, 'slow' has been handled.)
    await client.timeout(2_000).emitWithAck('echo', 'barrier');
    expect(handled, lesson.see('What a lost ack means')).toBe(1);
  });

  it('ignores an ack that arrives after the timeout: no unhandled rejection, no crash', async () => {
    const { emitWithTimeout } = await load();
    const trap = trapUncaughtErrors();
    onTestFinished(() => trap.restore());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    let lateAck: ((v: unknown) => void) | undefined;
    const { client } = await connected((socket) => {
      socket.on('late', (_payload: unknown, ack: (v: unknown) => void) => {
        lateAck = ack;
      });
      socket.on('echo', (payload: unknown, ack: (v: unknown) => void) => ack(payload));
    });
    const err = await rejectionOf(
      Promise.resolve().then(() => emitWithTimeout(client, 'late', 1, 100)),
      'emitWithTimeout to an event acknowledged too late',
      lesson.see('Your task'),
      3_000,
    );
    expect(err.code).toBe('REALTIME_ERR_ACK_TIMEOUT');
    await client.timeout(2_000).emitWithAck('echo', 'barrier'); // 'late' has reached the server
    expect(lateAck, 'the server saw the event').toBeTypeOf('function');
    lateAck?.('too late');
    // The late ack travels before the answer to this second emit, which must get its own value.
    await expect(
      withTimeout(Promise.resolve(emitWithTimeout(client, 'echo', 'next', 2_000)), 'the next ack'),
      `an ack is matched to its own emit. ${lesson.see('Acks on the wire')}`,
    ).resolves.toBe('next');
    await new Promise((resolve) => setImmediate(resolve)); // let a stray rejection surface
    expect(unhandled, `a late ack must change nothing. ${lesson.see('Your task')}`).toEqual([]);
    expect(trap.errors).toEqual([]);
  });

  it('leaves no timer running once the ack has come', async () => {
    const { emitWithTimeout } = await load();
    const { client } = await connected((socket) => {
      socket.on('echo', (payload: unknown, ack: (v: unknown) => void) => ack(payload));
    });
    const before = timers();
    await withTimeout(
      Promise.resolve(emitWithTimeout(client, 'echo', 'x', 60_000)),
      'emitWithTimeout to resolve',
    );
    expect(
      timers(),
      `a 60 s timer left behind keeps the process alive for a minute. ${lesson.see('Your task')}`,
    ).toBe(before);
  });

  it.each([0, -5, 1.5, Number.NaN])('refuses ms = %s with a RangeError', async (ms) => {
    const { emitWithTimeout } = await load();
    const { client } = await connected(() => {});
    let thrown: unknown;
    try {
      await emitWithTimeout(client, 'echo', 1, ms);
    } catch (err) {
      thrown = err;
    }
    expect(
      thrown,
      `a wait that is not a positive integer is a bug. ${lesson.see('Your task')}`,
    ).toBeInstanceOf(RangeError);
  });
});

/** A server running the learner's answerSums; what it threw while being set up, if anything. */
async function sumServer(): Promise<{ client: ClientSocket }> {
  const { answerSums } = await load();
  const setupErrors: unknown[] = [];
  const { client } = await connected((socket) => {
    try {
      answerSums(socket);
    } catch (err) {
      setupErrors.push(err);
    }
  });
  // The connection handler has run once the client is connected.
  if (setupErrors.length > 0) {
    throw new Error(`answerSums(socket) threw: ${String((setupErrors[0] as Error)?.message)}`);
  }
  return { client };
}

/** Emits `sum` with an ack (the spec's own bounded wait, independent of emitWithTimeout). */
const ask = (client: ClientSocket, payload: unknown): Promise<unknown> =>
  client.timeout(2_000).emitWithAck('sum', payload);

describe('answerSums', () => {
  it.each([
    [[1, 2, 3], 6],
    [[], 0],
    [[0.5, -1.5], -1],
  ])('acknowledges %j with its sum', async (numbers, sum) => {
    const { client } = await sumServer();
    expect(await ask(client, { numbers }), lesson.see('The handler')).toEqual({ sum });
  });

  it.each([
    ['null', null],
    ['a string', 'one, two'],
    ['no numbers', {}],
    ['numbers as a string', { numbers: '1,2' }],
    ['a string among the numbers', { numbers: [1, '2'] }],
    ['null among the numbers (how NaN and Infinity arrive)', { numbers: [1, null] }],
    ['an array among the numbers', { numbers: [[1], 2] }],
    ['1,001 numbers', { numbers: Array.from({ length: 1_001 }, () => 1) }],
  ])('refuses %s with { error: { code: REALTIME_ERR_PAYLOAD } }', async (_name, payload) => {
    const { client } = await sumServer();
    const reply = (await ask(client, payload)) as { error?: { code?: unknown; reason?: unknown } };
    expect(reply?.error?.code, `the refusal's code. ${lesson.see('The handler')}`).toBe(
      'REALTIME_ERR_PAYLOAD',
    );
    expect(reply?.error?.reason, 'a reason the sender can read').toBeTypeOf('string');
  });

  it('ignores a sum sent without an ack, and keeps serving', async () => {
    const trap = trapUncaughtErrors();
    onTestFinished(() => trap.restore());
    const { client } = await sumServer();
    client.emit('sum', { numbers: [1, 2] }); // no callback: nobody to answer
    client.emit('sum'); // nothing at all
    // Events from one client are handled in order: once this is answered, those two were handled.
    expect(await ask(client, { numbers: [4] })).toEqual({ sum: 4 });
    expect(
      trap.errors.map((e) => e.message),
      `a handler that calls a missing ack throws, and an uncaught throw ends the server. ${lesson.see('The handler')}`,
    ).toEqual([]);
  });
});
