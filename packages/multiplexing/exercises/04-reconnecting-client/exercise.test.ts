import { EventEmitter } from 'node:events';
import net from 'node:net';
import { freePort, lessonOf, loadExercise, withTimeout } from '@socketlab/testkit';
import { describe, it, onTestFinished } from 'vitest';

// This spec runs your client against a REAL server on 127.0.0.1 that goes away and comes back on
// the same port. Randomness and delays are options, so every wait the client reports is known in
// advance; every step awaits an event with a timeout, never a fixed sleep.
type Exercise = typeof import('./exercise.ts');
type ClientStatus = import('./exercise.ts').ClientStatus;
type ClientOptions = import('./exercise.ts').ReconnectingLineClientOptions;
const lesson = lessonOf(import.meta.url);

/** Waits until `ready()` gives a value, re-checking on every `change` of `emitter`. */
function until<T>(
  emitter: EventEmitter,
  ready: () => T | undefined,
  what: string,
  ms = 5_000,
): Promise<T> {
  let listener = (): void => {};
  const found = new Promise<T>((resolve) => {
    listener = () => {
      const value = ready();
      if (value !== undefined) resolve(value);
    };
    emitter.on('change', listener);
    listener();
  });
  return withTimeout(found, what, ms).finally(() => emitter.off('change', listener));
}

/** One connection the server accepted: the lines it received, in order. */
interface Accepted {
  readonly socket: net.Socket;
  readonly lines: string[];
}

/** A line server on a fixed port of 127.0.0.1 that the test takes down and brings back. */
class FlakyServer extends EventEmitter {
  readonly connections: Accepted[] = [];
  #server: net.Server | undefined;

  private constructor(readonly port: number) {
    super();
  }

  /** A port nothing listens on yet (bound on port 0, then released): connections are refused. */
  static async reserve(): Promise<FlakyServer> {
    const server = new FlakyServer(await freePort('127.0.0.1'));
    onTestFinished(() => server.down());
    return server;
  }

  async up(): Promise<void> {
    const server = net.createServer((socket) => {
      const accepted: Accepted = { socket, lines: [] };
      this.connections.push(accepted);
      let pending = '';
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => {
        pending += text;
        for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
          accepted.lines.push(pending.slice(0, i).replace(/\r$/, ''));
          pending = pending.slice(i + 1);
        }
        this.emit('change');
      });
      socket.on('error', () => {});
      this.emit('change');
    });
    this.#server = server;
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, '127.0.0.1', () => resolve());
      }),
      `the server to listen again on 127.0.0.1:${this.port} (if it says EADDRINUSE, another program took the port: run the spec again)`,
    );
  }

  /** Drops every connection and stops listening: the server has gone away. */
  async down(): Promise<void> {
    for (const { socket } of this.connections) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server?.listening) {
      await withTimeout(
        new Promise<void>((resolve) => server.close(() => resolve())),
        'the server to close',
      );
    }
  }

  /**
   * Waits for connection `index` (0 for the first) and its first `count` lines; on a timeout,
   * says what arrived and which lesson section to read.
   */
  async linesOf(index: number, count: number, what: string, section: string): Promise<string[]> {
    try {
      return await until(
        this,
        () => {
          const lines = this.connections[index]?.lines;
          return lines && lines.length >= count ? lines : undefined;
        },
        what,
      );
    } catch (error) {
      const got = this.connections[index]?.lines;
      throw new Error(
        `${(error as Error).message}; the server got ${got ? JSON.stringify(got) : 'no such connection'}. ${lesson.see(section)}`,
      );
    }
  }
}

/** The statuses the client reported, and the random draws it took, with a way to await them. */
class Recorder extends EventEmitter {
  readonly statuses: ClientStatus[] = [];
  readonly draws: number[] = [];
  readonly lines: string[] = [];

  /** A `random` option that returns `script` in order, then `rest`, recording each draw. */
  random(script: readonly number[], rest = 0.5): () => number {
    return () => {
      const value = script[this.draws.length] ?? rest;
      this.draws.push(value);
      return value;
    };
  }

  /** Waits for a status matching `match` at index `from` or later; resolves with its index. */
  next(match: (s: ClientStatus) => boolean, what: string, from = 0, ms = 5_000): Promise<number> {
    return until(
      this,
      () => {
        const i = this.statuses.findIndex((s, k) => k >= from && match(s));
        return i >= 0 ? i : undefined;
      },
      `${what}\n  the statuses so far: ${this.show()}`,
      ms,
    );
  }

  show(from = 0): string {
    return this.statuses.slice(from).map(showStatus).join(', ') || '(none)';
  }
}

function showStatus(s: ClientStatus): string {
  switch (s.type) {
    case 'connecting':
      return `connecting ${s.attempt}`;
    case 'connected':
      return `connected ${s.attempt}${s.reconnect ? ' (reconnect)' : ''}`;
    case 'disconnected':
      return 'disconnected';
    case 'retrying':
      return `retrying(retry ${s.retry}) in ${s.inMs} ms`;
    case 'gave-up':
      return `gave-up after ${s.attempts}`;
    default:
      return JSON.stringify(s);
  }
}

/** Starts the client under test, closed when the test ends. */
async function startClient(
  server: FlakyServer,
  recorder: Recorder,
  options: Partial<ClientOptions>,
): Promise<ReturnType<Exercise['startReconnectingClient']>> {
  const { startReconnectingClient } = await loadExercise<Exercise>(import.meta.url);
  const client = startReconnectingClient({
    host: '127.0.0.1',
    port: server.port,
    topics: [],
    baseDelayMs: 10,
    maxDelayMs: 1_000,
    maxAttempts: 0,
    maxQueued: 100,
    onStatus: (status) => {
      recorder.statuses.push(status);
      recorder.emit('change');
    },
    onLine: (line) => {
      recorder.lines.push(line);
      recorder.emit('change');
    },
    ...options,
  });
  onTestFinished(() => withTimeout(Promise.resolve(client.close()), 'client.close()'));
  return client;
}

/**
 * The waits full jitter allows for retry `retry` with draw `draw`: floor(draw × ceiling), or
 * floor(draw × (ceiling + 1)) for a client that includes the ceiling itself.
 */
function jitterRange(retry: number, draw: number, base: number, cap: number): [number, number] {
  const ceiling = Math.min(cap, base * 2 ** retry);
  return [Math.floor(draw * ceiling), Math.floor(draw * (ceiling + 1))];
}

function fail(message: string): never {
  throw new Error(message);
}

/** Checks one `retrying` status against the draw it should have used. */
function checkWait(
  status: ClientStatus | undefined,
  retry: number,
  draw: number | undefined,
  base: number,
  cap: number,
): void {
  if (status?.type !== 'retrying') {
    fail(
      `expected a retrying status (retry ${retry}), got ${status ? showStatus(status) : 'nothing'}. ${lesson.see('Status for a person')}`,
    );
  }
  if (status.retry !== retry) {
    fail(
      `the wait after this failure is retry ${retry}, the client said retry ${status.retry}: count the waits since the last connection, from 0, and start again at 0 after every connection. ${lesson.see('Backoff')}`,
    );
  }
  if (draw === undefined) {
    fail(
      `the client reported a wait of ${status.inMs} ms without taking a draw from the random option: the wait must be random (full jitter), drawn from options.random. ${lesson.see('Backoff')}`,
    );
  }
  const [low, high] = jitterRange(retry, draw, base, cap);
  if (status.inMs >= low && status.inMs <= high) return;
  const ceiling = Math.min(cap, base * 2 ** retry);
  const uncapped = base * 2 ** retry;
  const halfway = ceiling / 2 + (draw * ceiling) / 2;
  const causes: [boolean, string][] = [
    [
      status.inMs === ceiling,
      'that is the whole ceiling, with no jitter: a herd of clients would all come back at the same moment',
    ],
    [
      Math.abs(status.inMs - halfway) <= 1,
      'that is "equal jitter" (half the ceiling plus a random half): full jitter draws over the WHOLE interval, from 0',
    ],
    [
      ceiling !== uncapped && Math.abs(status.inMs - draw * uncapped) <= 1,
      `the ceiling was not capped: it is min(maxDelayMs ${cap}, baseDelayMs ${base} × 2^${retry})`,
    ],
  ];
  const why = causes.find(([hit]) => hit)?.[1] ?? 'it is not the draw × the ceiling';
  fail(
    `retry ${retry} with baseDelayMs ${base}, maxDelayMs ${cap} has the ceiling min(${cap}, ${base} × 2^${retry}) = ${ceiling} ms; with the draw ${draw} the wait is ${low === high ? low : `${low} (or ${high})`} ms, the client said ${status.inMs} ms: ${why}. ${lesson.see('Backoff')}`,
  );
}

describe('a reconnecting client (graded against a server that goes away and comes back)', {
  timeout: 60_000,
}, () => {
  it('backs off with full jitter under a cap while refused, then gives up after maxAttempts and says so', async () => {
    const server = await FlakyServer.reserve(); // nothing listens: every attempt is refused
    const recorder = new Recorder();
    const draws = [0.5, 0.75, 0.999, 0.25];
    await startClient(server, recorder, {
      baseDelayMs: 8,
      maxDelayMs: 20,
      maxAttempts: 5,
      random: recorder.random(draws, 0.1),
    });
    await recorder.next(
      (s) => s.type === 'gave-up',
      `a gave-up status after maxAttempts (5) refused attempts. ${lesson.see('The give-up rule')}`,
    );
    const got = recorder.statuses;
    const connecting = got.filter((s) => s.type === 'connecting');
    if (connecting.map((s) => (s.type === 'connecting' ? s.attempt : 0)).join() !== '1,2,3,4,5') {
      fail(
        `expected exactly the attempts 1, 2, 3, 4, 5 before giving up (maxAttempts 5), got ${recorder.show()}. ${lesson.see('The give-up rule')}`,
      );
    }
    const expectedTypes = [
      'connecting',
      'retrying',
      'connecting',
      'retrying',
      'connecting',
      'retrying',
      'connecting',
      'retrying',
      'connecting',
      'gave-up',
    ];
    if (got.map((s) => s.type).join() !== expectedTypes.join()) {
      fail(
        `expected connecting 1, retrying, connecting 2, … connecting 5, gave-up (no wait after the last failure, nothing after gave-up), got ${recorder.show()}. ${lesson.see('The give-up rule')}`,
      );
    }
    const waits = got.filter((s) => s.type === 'retrying');
    waits.forEach((status, retry) => {
      checkWait(status, retry, recorder.draws[retry], 8, 20);
    });
    const last = got.at(-1);
    if (last?.type === 'gave-up' && last.attempts !== 5) {
      fail(
        `gave-up should say how many attempts failed in a row (5), it said ${last.attempts}. ${lesson.see('Status for a person')}`,
      );
    }
  });

  it('resubscribes first on every connection, and starts the backoff again from retry 0 after a connection', async () => {
    const server = await FlakyServer.reserve();
    const recorder = new Recorder();
    const base = 10;
    await startClient(server, recorder, {
      topics: ['news', 'sports'],
      baseDelayMs: base,
      maxDelayMs: 1_000,
      random: recorder.random([0.9, 0.9, 0.9], 0.6),
    });
    // Refused three times (the waits grow to retry 2), then the server comes back on the port.
    await recorder.next(
      (s) => s.type === 'retrying' && s.retry >= 2,
      `a third wait (retry 2) while the server is down. ${lesson.see('Backoff')}`,
    );
    await server.up();
    const connected = await recorder.next(
      (s) => s.type === 'connected',
      `a connected status once the server listens again. ${lesson.see('Status for a person')}`,
    );
    const first = await server.linesOf(
      0,
      2,
      'the SUB lines on the first connection',
      'Resubscribe on every connection',
    );
    if (first.slice(0, 2).join('|') !== 'SUB news|SUB sports') {
      fail(
        `the first lines on a connection must be "SUB news", "SUB sports", got ${JSON.stringify(first)}. ${lesson.see('Resubscribe on every connection')}`,
      );
    }
    server.connections[0]?.socket.write('news: welcome\n');
    await until(
      recorder,
      () => recorder.lines.includes('news: welcome') || undefined,
      `onLine("news: welcome") after the server sent "news: welcome\\n" (lines so far: ${JSON.stringify(recorder.lines)}). ${lesson.see('Your task')}`,
    );
    // The server drops the connection (and keeps listening): the client must wait retry 0 again.
    const drawsBefore = recorder.draws.length;
    server.connections[0]?.socket.destroy();
    const lost = await recorder.next(
      (s) => s.type === 'disconnected',
      `a disconnected status when the server drops the connection. ${lesson.see('Status for a person')}`,
      connected + 1,
    );
    const wait = await recorder.next(
      (s) => s.type !== 'disconnected',
      `a wait (retrying) after the lost connection. ${lesson.see('Backoff')}`,
      lost + 1,
    );
    if (recorder.statuses[wait]?.type !== 'retrying') {
      fail(
        `after a lost connection, wait (report retrying, retry 0) before the next attempt: every client of a restarted server lost it at the same moment, and only the random wait spreads them out. The statuses: ${recorder.show()}. ${lesson.see('Backoff')}`,
      );
    }
    checkWait(recorder.statuses[wait], 0, recorder.draws[drawsBefore], base, 1_000);
    const again = await recorder.next(
      (s) => s.type === 'connected',
      `a second connected status. ${lesson.see('Status for a person')}`,
      wait + 1,
    );
    const second = recorder.statuses[again];
    if (second?.type === 'connected' && (second.reconnect !== true || second.attempt !== 1)) {
      fail(
        `the second connection is a reconnect made by attempt 1 (the first since the last connection), the client said ${showStatus(second)}. ${lesson.see('Status for a person')}`,
      );
    }
    const resubscribed = await server.linesOf(
      1,
      2,
      'the SUB lines on the second connection',
      'Resubscribe on every connection',
    );
    if (resubscribed.slice(0, 2).join('|') !== 'SUB news|SUB sports') {
      fail(
        `a new connection knows nothing of the old one's subscriptions: send "SUB news", "SUB sports" again, first; got ${JSON.stringify(resubscribed)}. ${lesson.see('Resubscribe on every connection')}`,
      );
    }
  });

  it('keeps lines sent offline in a bounded queue (oldest dropped, counted) and sends each once, in order, after the SUB lines', async () => {
    const server = await FlakyServer.reserve();
    await server.up();
    const recorder = new Recorder();
    const client = await startClient(server, recorder, {
      topics: ['news'],
      baseDelayMs: 5,
      maxDelayMs: 20,
      maxQueued: 3,
      random: recorder.random([], 0.5),
    });
    const connected = await recorder.next(
      (s) => s.type === 'connected',
      `a connected status. ${lesson.see('Status for a person')}`,
    );
    client.send('m1');
    await server.linesOf(0, 2, '"m1" after "SUB news", sent while connected', 'The offline queue');
    await server.down();
    await recorder.next(
      (s) => s.type === 'disconnected',
      `a disconnected status when the server goes away. ${lesson.see('Status for a person')}`,
      connected + 1,
    );
    for (const line of ['m2', 'm3', 'm4', 'm5', 'm6']) client.send(line);
    if (client.queued !== 3 || client.dropped !== 2) {
      fail(
        `offline, 5 lines were sent with maxQueued 3: 3 must wait and the 2 oldest be dropped, the client says queued ${client.queued}, dropped ${client.dropped}. ${lesson.see('The offline queue')}`,
      );
    }
    await server.up();
    await recorder.next(
      (s) => s.type === 'connected',
      `a connected status once the server is back. ${lesson.see('Status for a person')}`,
      connected + 1,
    );
    await server.linesOf(
      1,
      4,
      'the SUB line and the 3 queued lines on the new connection (lines sent while offline are kept and sent on the next connection, never written to the dead one)',
      'The offline queue',
    );
    client.send('m7'); // connected again: it goes out at once, after the queued ones
    const lines = await server.linesOf(
      1,
      5,
      '"m7", sent after the reconnection',
      'The offline queue',
    );
    const expected = ['SUB news', 'm4', 'm5', 'm6', 'm7'];
    if (lines.join('|') !== expected.join('|')) {
      const why = lines.includes('m1')
        ? '"m1" was already sent on the first connection: sending it again is a duplicate'
        : lines.includes('m2') || lines.includes('m3')
          ? 'when the queue is full, drop the OLDEST line (m2, m3), keep the newest'
          : lines[0] !== 'SUB news'
            ? 'the SUB lines go first, before the queued lines'
            : 'the queued lines go out in the order they were sent, each once';
      fail(
        `the second connection should get ${JSON.stringify(expected)}, got ${JSON.stringify(lines)}: ${why}. ${lesson.see('The offline queue')}`,
      );
    }
    const left: number = client.queued; // read again: the flush has run since the check above
    if (left !== 0) {
      fail(
        `after the flush nothing should wait, the client says queued ${left}. ${lesson.see('The offline queue')}`,
      );
    }
    const firstLines = server.connections[0]?.lines ?? [];
    if (firstLines.join('|') !== 'SUB news|m1') {
      fail(
        `the first connection should get exactly "SUB news", "m1", got ${JSON.stringify(firstLines)}. ${lesson.see('The offline queue')}`,
      );
    }
  });
});
