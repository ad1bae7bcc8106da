import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  connectTcp,
  failOnUncaught,
  lessonOf,
  loadExercise,
  pollUntil,
  printable,
  withTimeout,
} from '@socketlab/testkit';
import { describe, it, onTestFinished, vi } from 'vitest';

// This spec runs your broadcast server on 127.0.0.1 with three clients that read everything and
// one that never reads (its socket is paused), broadcasts until the kernel's buffers for that one
// are full and the server has to hold (or drop) its messages, and checks over the wire what each
// client got. After every broadcast it reads stats() and checks no connection holds more than
// the high-water mark, and that each count includes what the socket itself holds.
type Exercise = typeof import('./exercise.ts');
type Server = Awaited<ReturnType<Exercise['startBroadcastServer']>>;
type Stats = ReturnType<Server['stats']>[number];
type Policy = import('./exercise.ts').SlowConsumerPolicy;
const lesson = lessonOf(import.meta.url);

const MAX = 64 * 1024;
/** Every message is one line of exactly this many bytes: `msg NNNNNN xxx…x\n`. */
const MESSAGE_BYTES = 4096;
/** 24 MiB: far more than the kernel absorbs on loopback for a client that never reads (~4 MiB). */
const MAX_MESSAGES = 6144;
/** Messages broadcast after the server first holds the mark for the stalled client. */
const AFTER = 64;
const FAST = 3;
const REASON = `ERROR slow consumer: more than ${MAX} bytes waiting`;

function message(seq: number): Buffer {
  const head = `msg ${String(seq).padStart(6, '0')} `;
  return Buffer.from(`${head}${'x'.repeat(MESSAGE_BYTES - head.length - 1)}\n`);
}

function fail(text: string): never {
  throw new Error(text);
}

/** A client's side: every message line it got (by sequence number), and any other line. */
class Reader extends EventEmitter {
  readonly seqs: number[] = [];
  /** Lines that are not whole messages, in order. */
  readonly other: string[] = [];
  ended = false;
  error: Error | undefined;
  #pending = '';

  constructor(readonly socket: net.Socket) {
    super();
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.#pending += text;
      for (let i = this.#pending.indexOf('\n'); i >= 0; i = this.#pending.indexOf('\n')) {
        const line = this.#pending.slice(0, i);
        this.#pending = this.#pending.slice(i + 1);
        const match = /^msg (\d{6}) x+$/.exec(line);
        if (match && line.length === MESSAGE_BYTES - 1) this.seqs.push(Number(match[1]));
        else this.other.push(line);
      }
      this.emit('change');
    });
    socket.on('end', () => {
      this.ended = true;
      this.emit('change');
    });
    socket.on('error', (error) => {
      this.error = error;
      this.emit('change');
    });
    socket.on('close', () => this.emit('change'));
  }

  /** Bytes received that are not a whole line yet. */
  get partial(): string {
    return this.#pending;
  }

  /** Waits until `ready()` holds, re-checking on every byte received. */
  until(ready: () => boolean, what: string, ms = 10_000): Promise<void> {
    let listener = (): void => {};
    const done = new Promise<void>((resolve) => {
      listener = () => {
        if (ready()) resolve();
      };
      this.on('change', listener);
      listener();
    });
    return withTimeout(done, what, ms).finally(() => this.off('change', listener));
  }
}

function shortened(list: readonly unknown[]): string {
  return list.length <= 12
    ? JSON.stringify(list)
    : `${JSON.stringify(list.slice(0, 6)).slice(0, -1)}, … ${list.length - 12} more …, ${JSON.stringify(list.slice(-6)).slice(1)}`;
}

/** The first place `seqs` is not exactly 0, 1, 2 … total − 1, described. */
function gapIn(seqs: readonly number[], total: number): string | undefined {
  for (let i = 0; i < total; i++) {
    if (seqs[i] !== i) return `message ${i} is missing or out of place (got ${seqs[i]} there)`;
  }
  if (seqs.length > total) return `${seqs.length - total} messages more than were sent`;
  return undefined;
}

/** Server, three readers and one stalled client, all closed when the test finishes. */
async function setUp(policy: Policy) {
  const { startBroadcastServer } = await loadExercise<Exercise>(import.meta.url);
  failOnUncaught(
    `Give every socket an 'error' listener: a client that resets would otherwise stop the server for everyone. ${lesson.see('Your task')}`,
  );
  // The server's side of each connection, by the client's port: the spec reads each socket's
  // writableLength itself, to check that stats() counts it.
  const serverSockets = new Map<number, net.Socket>();
  const emit = net.Server.prototype.emit;
  const spy = vi.spyOn(net.Server.prototype, 'emit').mockImplementation(function (
    this: net.Server,
    event: string | symbol,
    ...args: unknown[]
  ) {
    const socket = args[0];
    if (event === 'connection' && socket instanceof net.Socket && socket.remotePort) {
      serverSockets.set(socket.remotePort, socket);
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  });
  onTestFinished(() => spy.mockRestore());
  const server = await startBroadcastServer({ maxBufferedBytes: MAX, policy });
  onTestFinished(() => withTimeout(server.close(), 'server.close()'));
  const connect = async (): Promise<net.Socket> => {
    const socket = await connectTcp(server.port);
    onTestFinished(() => {
      socket.destroy();
    });
    return socket;
  };
  const fast: Reader[] = [];
  for (let i = 0; i < FAST; i++) fast.push(new Reader(await connect()));
  const stalled = await connect();
  stalled.pause(); // never reads: the kernel's buffers fill, then the server's
  stalled.on('error', () => {});
  const slowPort = stalled.localPort;
  const fastPorts = new Set(fast.map((r) => r.socket.localPort));
  await pollUntil(
    () => server.stats().length === FAST + 1,
    `stats() to list the ${FAST + 1} connected clients (it lists ${server.stats().length}). ${lesson.see('Your task')}`,
  );
  const ports = server.stats().map((s) => s.remotePort);
  if (
    !ports.includes(slowPort as number) ||
    [...fastPorts].some((p) => !ports.includes(p as number))
  ) {
    fail(
      `stats() should give each connection's remotePort (the client's own port: ${[slowPort, ...fastPorts].join(', ')}), got ${ports.join(', ')}. ${lesson.see('Your task')}`,
    );
  }
  return { server, fast, stalled, slowPort, fastPorts, serverSockets };
}

type Rig = Awaited<ReturnType<typeof setUp>>;

/** Reads stats() and fails if any connection holds more than the mark. */
function checkedStats(rig: Rig, seq: number): Stats[] {
  const stats = rig.server.stats();
  for (const s of stats) {
    const inSocket = rig.serverSockets.get(s.remotePort)?.writableLength ?? 0;
    if (s.queuedBytes < inSocket) {
      fail(
        `after broadcast #${seq}, stats() says the server holds ${s.queuedBytes} bytes for a client, but that socket alone holds ${inSocket} (its writableLength): bytes given to write() and not yet taken by the kernel are yours too, count them. ${lesson.see('The high-water mark')}`,
      );
    }
    if (s.queuedBytes > MAX) {
      const who = s.remotePort === rig.slowPort ? 'the client that never reads' : 'a client';
      fail(
        `after broadcast #${seq}, the server holds ${s.queuedBytes} bytes for ${who}, over maxBufferedBytes ${MAX}: socket.write() never refuses, so count socket.writableLength plus your queue and stop (drop or disconnect) before the mark. ${lesson.see('The high-water mark')}`,
      );
    }
  }
  for (const port of rig.fastPorts) {
    if (!stats.some((s) => s.remotePort === port)) {
      fail(
        `after broadcast #${seq}, a client that reads everything is no longer in stats(): only the slow client may be disconnected. ${lesson.see('One queue per connection')}`,
      );
    }
  }
  return stats;
}

/**
 * Broadcasts message after message until `reached(slow)` (the slow client's stats entry, or
 * undefined once it is gone), then AFTER more. Paces itself on the readers, as a real server
 * would on its healthy clients: never on the slow one. Returns how many were sent and the most
 * the server held for the slow client.
 */
async function broadcastPastTheMark(
  rig: Rig,
  reached: (slow: Stats | undefined) => boolean,
  notReached: (mostHeld: number) => string,
): Promise<{ total: number; mostHeld: number }> {
  let mostHeld = 0;
  let stopAt = Number.POSITIVE_INFINITY;
  let seq = 0;
  for (; seq < Math.min(MAX_MESSAGES, stopAt); seq++) {
    rig.server.broadcast(message(seq));
    const stats = checkedStats(rig, seq);
    const slow = stats.find((s) => s.remotePort === rig.slowPort);
    if (stopAt === Number.POSITIVE_INFINITY && reached(slow)) stopAt = seq + 1 + AFTER;
    if (stopAt === Number.POSITIVE_INFINITY) mostHeld = Math.max(mostHeld, slow?.queuedBytes ?? 0);
    const readers = stats.filter((s) => rig.fastPorts.has(s.remotePort));
    if (readers.some((s) => s.queuedBytes > MAX / 2)) {
      await pollUntil(
        () =>
          rig.server
            .stats()
            .every((s) => !rig.fastPorts.has(s.remotePort) || s.queuedBytes <= MAX / 4),
        `the clients that read everything to catch up (the server still holds ${readers.map((s) => s.queuedBytes).join(', ')} bytes for them): when socket.write() returns false, queue, and send the queue on the socket's 'drain'. ${lesson.see('One queue per connection')}`,
        { intervalMs: 1, maxTries: 5_000 },
      );
    }
  }
  if (stopAt === Number.POSITIVE_INFINITY) fail(notReached(mostHeld));
  return { total: seq, mostHeld };
}

/** Every reader gets message 0 … total − 1, whole, in order, nothing else. */
async function everyReaderGotAll(rig: Rig, total: number): Promise<void> {
  for (const [i, reader] of rig.fast.entries()) {
    await reader
      .until(() => reader.seqs.length >= total, `reader ${i + 1} to get all ${total} messages`)
      .catch(() =>
        fail(
          `a client that reads everything got ${reader.seqs.length} of the ${total} messages: a fast client must never lose one (only the slow client's own queue may drop). ${lesson.see('One queue per connection')}`,
        ),
      );
    const gap = gapIn(reader.seqs, total);
    if (gap !== undefined || reader.other.length > 0) {
      fail(
        `a client that reads everything must get messages 0 … ${total - 1}, whole and in order: ${gap ?? `it also got ${printable(reader.other[0] ?? '')}`}. ${lesson.see('One queue per connection')}`,
      );
    }
  }
}

const neverHeld = (mostHeld: number): string =>
  `after ${MAX_MESSAGES} messages (${(MAX_MESSAGES * MESSAGE_BYTES) / 2 ** 20} MiB) to a client that never reads, stats() never showed the server holding more than ${mostHeld} bytes for it (the mark is ${MAX}): queuedBytes must be socket.writableLength plus your queue. ${lesson.see('The high-water mark')}`;

describe('a broadcast server with a slow consumer (graded over the wire)', () => {
  it('drop-oldest: the readers get every message in order; the server never holds more than the mark for anyone', async () => {
    const rig = await setUp('drop-oldest');
    const { total } = await broadcastPastTheMark(
      rig,
      (slow) => {
        if (slow === undefined) {
          fail(
            `under 'drop-oldest' the slow client must stay connected (it loses messages, not its connection). ${lesson.see('Drop the oldest')}`,
          );
        }
        return slow.queuedBytes > MAX - MESSAGE_BYTES;
      },
      neverHeld,
    );
    await everyReaderGotAll(rig, total);
    const stats = checkedStats(rig, total);
    const slow = stats.find((s) => s.remotePort === rig.slowPort);
    if (!slow || slow.droppedMessages === 0) {
      fail(
        `${AFTER} messages were broadcast after the server held the mark for the client that never reads, yet stats() shows droppedMessages ${slow?.droppedMessages}: count every message dropped. ${lesson.see('Drop the oldest')}`,
      );
    }
    const wrong = stats.filter((s) => rig.fastPorts.has(s.remotePort) && s.droppedMessages > 0);
    if (wrong.length > 0) {
      fail(
        `a client that reads everything shows droppedMessages ${wrong[0]?.droppedMessages}: drop only what a connection's own mark cannot hold. ${lesson.see('One queue per connection')}`,
      );
    }
  });

  it('drop-oldest: the slow client, once it reads, gets whole messages in order, the newest included, and misses exactly the number dropped', async () => {
    const rig = await setUp('drop-oldest');
    const { total } = await broadcastPastTheMark(
      rig,
      (slow) => slow !== undefined && slow.queuedBytes > MAX - MESSAGE_BYTES,
      neverHeld,
    );
    const reader = new Reader(rig.stalled);
    rig.stalled.resume();
    await reader
      .until(
        () => reader.seqs.includes(total - 1) || reader.other.length > 0,
        `the newest message (${total - 1}) to reach the slow client once it reads`,
      )
      .catch(() => {
        const socketMark = rig.serverSockets.get(rig.slowPort as number)?.writableHighWaterMark;
        const why =
          socketMark !== undefined && socketMark > MAX / 2
            ? `your sockets' own writableHighWaterMark is ${socketMark} bytes, so write() says true until the socket alone holds nearly the mark (${MAX}) and nothing is ever queued to drop: create the server with a smaller highWaterMark`
            : 'drop the OLDEST waiting messages to make room, not the new one';
        return fail(
          `once the slow client reads, it should get the newest message (${total - 1}): ${why}; it got ${reader.seqs.length} messages, the last ${reader.seqs.at(-1)}. ${lesson.see('Drop the oldest')}`,
        );
      });
    if (reader.other.length > 0) {
      fail(
        `the slow client got a line that is not a whole message: ${printable(reader.other[0]?.slice(0, 80) ?? '')}…: drop whole queued messages, never part of one (a message handed to the socket is past recall). ${lesson.see('Drop the oldest')}`,
      );
    }
    const outOfOrder = reader.seqs.findIndex(
      (seq, i) => i > 0 && seq <= (reader.seqs[i - 1] ?? -1),
    );
    if (outOfOrder >= 0) {
      fail(
        `the slow client got the messages out of order: ${shortened(reader.seqs)}. ${lesson.see('Drop the oldest')}`,
      );
    }
    const slow = checkedStats(rig, total).find((s) => s.remotePort === rig.slowPort);
    const dropped = slow?.droppedMessages ?? 0;
    if (reader.seqs.length + dropped !== total) {
      fail(
        `${total} messages were broadcast; the slow client got ${reader.seqs.length} and stats() says ${dropped} were dropped for it: the two must add up to ${total}. ${lesson.see('Drop the oldest')}`,
      );
    }
  });

  it('disconnect: the slow client gets the exact reason line after whole messages, then the end of the stream; the readers go on', async () => {
    const rig = await setUp('disconnect');
    const { total, mostHeld } = await broadcastPastTheMark(
      rig,
      (slow) => slow === undefined,
      (held) =>
        `after ${MAX_MESSAGES} messages the client that never reads is still connected (the server held at most ${held} bytes for it): under 'disconnect', close it when one more message would pass the mark. ${lesson.see('Disconnect, with a reason')}`,
    );
    if (mostHeld <= MAX - 2 * MESSAGE_BYTES) {
      fail(
        `the slow client was disconnected when the server held only ${mostHeld} bytes for it: disconnect when the NEXT message would pass the mark (${MAX}), not at the first write() that returns false. ${lesson.see('Disconnect, with a reason')}`,
      );
    }
    await everyReaderGotAll(rig, total);
    const reader = new Reader(rig.stalled);
    rig.stalled.resume();
    await reader
      .until(
        () => reader.ended || reader.error !== undefined || rig.stalled.destroyed,
        'the end of the stream',
      )
      .catch(() =>
        fail(
          `the slow client read everything, but its stream never ended: after the reason line, end() the socket. It got ${reader.seqs.length} messages, then ${shortened(reader.other)}. ${lesson.see('Disconnect, with a reason')}`,
        ),
      );
    const got = `${reader.seqs.length} messages, then the lines ${shortened(reader.other)}${reader.partial ? ` and the unfinished ${printable(reader.partial.slice(0, 80))}` : ''}${reader.error ? `, then ${reader.error.message}` : ''}`;
    if (reader.other.length !== 1 || reader.other[0] !== REASON || reader.partial !== '') {
      fail(
        `the slow client should get whole messages, then exactly the line ${printable(`${REASON}\n`)}, then the end of the stream; it got ${got}. ${lesson.see('Disconnect, with a reason')}`,
      );
    }
    if (!reader.ended) {
      fail(
        `the reason line arrived, but the stream ended with ${reader.error?.message ?? 'no FIN'}: end() the socket (FIN after the line), do not destroy() it (a reset can discard the line). ${lesson.see('Disconnect, with a reason')}`,
      );
    }
    const gap = gapIn(reader.seqs, reader.seqs.length);
    if (gap !== undefined) {
      fail(
        `before the reason line the slow client should get messages 0, 1, 2 … with no gap (under 'disconnect' nothing is dropped): ${gap}. ${lesson.see('Disconnect, with a reason')}`,
      );
    }
  });
});
