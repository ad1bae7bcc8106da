import {
  connectGraded,
  DEFAULT_WAIT_MS,
  lessonOf,
  ManualClock,
  printable,
  type ServerUnderTest,
  startGradedServer,
  type WireClient,
} from '@socketlab/testkit';
import { describe, it } from 'vitest';
import type { HeartbeatServerOptions } from './exercise.ts';

// Graded over sockets, with the server in this process and its clock in the spec's hands: time
// moves only when the spec says so, a beat at a time, so nothing waits on real time and a slow
// machine grades the same as a fast one. The intervals are long (seconds to minutes) on purpose:
// moving the hand-driven clock costs nothing, and a server on real timers shows nothing in time.
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);
const HEARTBEATS = 'Heartbeats: ping, pong, and misses in a row';
const CLOSING = 'Two ways to close: a notice or a cut';

/** What the peer reads next: a line, or the end of the connection and how it came. */
type Next = { line: string } | { closed: 'FIN' | 'reset' };

/** A client that reads the server line by line and sees how the connection ends. */
class Peer {
  readonly #queue: Next[] = [];
  #pending = Buffer.alloc(0);
  #reset = false;
  #wake: (() => void) | undefined;

  constructor(readonly client: WireClient) {
    const { socket } = client;
    socket.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      for (let at = this.#pending.indexOf(0x0a); at >= 0; at = this.#pending.indexOf(0x0a)) {
        const line = this.#pending.subarray(0, at).toString('utf8').replace(/\r$/, '');
        this.#pending = this.#pending.subarray(at + 1);
        this.#queue.push({ line });
      }
      this.#wake?.();
    });
    socket.on('error', () => {
      this.#reset = true;
    });
    socket.on('close', () => {
      this.#queue.push({ closed: this.#reset ? 'reset' : 'FIN' });
      this.#wake?.();
    });
  }

  send(text: string): Promise<void> {
    return this.client.send(text);
  }

  /** The next line or the close; fails with the conversation and `hint` if neither comes. */
  async next(waitingFor: string, hint: string): Promise<Next> {
    const deadline = Date.now() + DEFAULT_WAIT_MS;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw this.client.fail(
          `nothing came from the server while waiting for ${waitingFor} (${DEFAULT_WAIT_MS} ms). ${hint}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.#queue.shift() as Next;
  }

  /** Reads the next line and fails unless it is `expected`. */
  async expect(expected: string, hint: string): Promise<void> {
    const next = await this.next(printable(`${expected}\n`), hint);
    if (!('line' in next) || next.line !== expected) {
      const got =
        'line' in next ? printable(`${next.line}\n`) : `the connection's end (${next.closed})`;
      throw this.client.fail(`expected ${printable(`${expected}\n`)}, got ${got}. ${hint}`);
    }
  }

  /** Answers with PONG, and waits until the server has read it (its PONG to our PING follows). */
  async pong(): Promise<void> {
    await this.send('PONG\nPING\n');
    await this.expect(
      'PONG',
      `Answer a client's \`PING\` with \`PONG\`. ${lesson.see('Your task')}`,
    );
  }
}

interface Started {
  readonly clock: ManualClock;
  readonly server: ServerUnderTest;
}

async function startTarget(options: Omit<HeartbeatServerOptions, 'clock'>): Promise<Started> {
  const clock = new ManualClock();
  const server = await startGradedServer<Exercise>(
    import.meta.url,
    (mod) => mod.startHeartbeatServer({ ...options, port: 0, clock }),
    {
      uncaughtHint: `Give every socket an 'error' listener, and stop its timers on 'close'. ${lesson.see('Your task')}`,
    },
  );
  return { clock, server };
}

/**
 * Connects, and waits until the server has taken the connection (its timers run from now): its
 * PONG to our PING (which answers nothing and is no message) says so.
 */
async function connectPeer(server: ServerUnderTest): Promise<Peer> {
  const peer = new Peer(await connectGraded(server));
  await peer.send('PING\n');
  await peer.expect('PONG', `Answer a client's \`PING\` with \`PONG\`. ${lesson.see('Your task')}`);
  return peer;
}

/** One beat: moves the clock by `ms` and expects exactly one PING. */
async function beat(clock: ManualClock, peer: Peer, ms: number, hint: string): Promise<void> {
  clock.advance(ms);
  await peer.expect(
    'PING',
    `${hint}. Take every timer from options.clock: the grader moves it by hand. ${lesson.see(HEARTBEATS)}`,
  );
}

/** Moves the clock by `ms` and expects the cut: the end of the connection, nothing before it. */
async function expectCut(clock: ManualClock, peer: Peer, ms: number, hint: string): Promise<void> {
  clock.advance(ms);
  const next = await peer.next('the cut', `${hint}. ${lesson.see(HEARTBEATS)}`);
  if ('line' in next) {
    const why =
      next.line === 'PING'
        ? 'you cut too late: at the beat where misses in a row reach maxMissedHeartbeats, cut instead of sending another PING'
        : 'a cut sends nothing: the peer is presumed dead, and a notice would only wait in a buffer nobody reads';
    throw peer.client.fail(
      `${hint}, but got ${printable(`${next.line}\n`)}: ${why}. ${lesson.see(next.line === 'PING' ? HEARTBEATS : CLOSING)}`,
    );
  }
}

describe('heartbeats and idle timeouts (graded over the wire, on a clock the spec moves)', () => {
  it('keeps a client that answers every PING with PONG', async () => {
    const { clock, server } = await startTarget({
      heartbeatIntervalMs: 30_000,
      maxMissedHeartbeats: 2,
      idleTimeoutMs: 0,
    });
    const peer = await connectPeer(server);
    for (let n = 1; n <= 8; n++) {
      await beat(
        clock,
        peer,
        30_000,
        n === 1
          ? 'Send `PING\\n` one heartbeatIntervalMs after the client connects'
          : `the peer answered PING ${n - 1} with PONG, so it is alive: PING it again`,
      );
      await peer.pong();
    }
    await peer.send('still alive\n');
    await peer.expect(
      'still alive',
      `Echo every line that is not PING or PONG. ${lesson.see('Your task')}`,
    );
  });

  it('cuts a silent client after exactly maxMissedHeartbeats unanswered PINGs, without a notice', async () => {
    const { clock, server } = await startTarget({
      heartbeatIntervalMs: 20_000,
      maxMissedHeartbeats: 4,
      idleTimeoutMs: 0,
    });
    const peer = await connectPeer(server);
    for (let n = 1; n <= 4; n++) {
      await beat(
        clock,
        peer,
        20_000,
        n === 1
          ? 'Send `PING\\n` one heartbeatIntervalMs after the client connects'
          : `with maxMissedHeartbeats 4, a silent peer gets 4 PINGs before the cut, and this is PING ${n}: a miss is a PING that got no answer before the next beat, so the first beat cannot count one (nothing was asked yet)`,
      );
    }
    await expectCut(
      clock,
      peer,
      20_000,
      'PINGs 1 to 4 went unanswered: at this beat misses in a row reach 4, so cut the connection (destroy it)',
    );
  });

  it('counts misses in a row: a PONG or a message starts the count again', async () => {
    const { clock, server } = await startTarget({
      heartbeatIntervalMs: 10_000,
      maxMissedHeartbeats: 3,
      idleTimeoutMs: 0,
    });
    const peer = await connectPeer(server);
    const again = (answer: string, n: number) =>
      `PING ${n}: the peer answered with ${answer} since its last misses, so the count of misses in a row started again at 0`;
    for (let n = 1; n <= 3; n++)
      await beat(clock, peer, 10_000, `PING ${n}: 2 misses in a row are under 3`);
    await peer.pong(); // answers PING 3
    for (let n = 4; n <= 6; n++) await beat(clock, peer, 10_000, again('a PONG', n));
    await peer.send('still here\n'); // answers PING 6: a message proves the peer alive too
    await peer.expect(
      'still here',
      `Echo every line that is not PING or PONG. ${lesson.see('Your task')}`,
    );
    for (let n = 7; n <= 9; n++)
      await beat(
        clock,
        peer,
        10_000,
        again('a message (any line but PING and PONG counts as an answer)', n),
      );
    await expectCut(clock, peer, 10_000, 'PINGs 7, 8 and 9 went unanswered: cut at this beat');
  });

  it('closes an idle client with a notice and a FIN: PONGs keep it alive but not busy', async () => {
    const BEAT = 10_000;
    const IDLE = 115_000; // due between two beats, never at the same time as one
    const { clock, server } = await startTarget({
      heartbeatIntervalMs: BEAT,
      maxMissedHeartbeats: 3,
      idleTimeoutMs: IDLE,
    });
    const peer = await connectPeer(server);
    const idle = lesson.see('Idle timeouts');
    const s = (ms: number): string => `${ms / 1000} s`;
    // 15 beats (150 s, more than the idle timeout) answered with PONG and a message each.
    for (let n = 1; n <= 15; n++) {
      await beat(
        clock,
        peer,
        BEAT,
        `the client ${n > 1 ? `sent a message ${s(BEAT)} ago` : `connected ${s(BEAT)} ago`}; the idle timeout is ${s(IDLE)}: only a beat is due. A message restarts the idle clock`,
      );
      await peer.send(`PONG\nm${n}\n`);
      await peer.expect(
        `m${n}`,
        `Echo every line that is not PING or PONG. ${lesson.see('Your task')}`,
      );
    }
    // From here, PONGs only: the last message came at 150 s, so the idle timeout is due at 265 s.
    const lastMessage = 15 * BEAT;
    for (let t = lastMessage + BEAT; t < lastMessage + IDLE; t += BEAT) {
      await beat(
        clock,
        peer,
        BEAT,
        `the last message came ${s(t - lastMessage)} ago, under the idle timeout (${s(IDLE)}): send the PING, do not close yet (the idle clock runs from the last MESSAGE, not from the connection)`,
      );
      await peer.pong();
    }
    clock.advance(BEAT);
    const notice = await peer.next(
      'the idle notice',
      `The client sent no message for ${s(IDLE)} (PONGs are not messages: they prove the peer alive, not that it uses the connection): send the notice and close. ${idle}`,
    );
    if (!('line' in notice) || !notice.line.startsWith('MULTIPLEXING_ERR_IDLE_TIMEOUT ')) {
      const got =
        'line' in notice
          ? printable(`${notice.line}\n`)
          : `the connection's end (${notice.closed})`;
      const pinged = 'line' in notice && notice.line === 'PING';
      const why = pinged
        ? 'a PONG must not restart the idle clock; only a message does'
        : 'tell the client why first: one line starting with "MULTIPLEXING_ERR_IDLE_TIMEOUT " (the code, a space, then words for a person)';
      throw peer.client.fail(
        `${s(IDLE)} after the last message the client should be told "MULTIPLEXING_ERR_IDLE_TIMEOUT …" and closed, got ${got}: ${why}. ${pinged ? idle : lesson.see(CLOSING)}`,
      );
    }
    clock.advance(BEAT); // a beat after the close must not reach the wire
    const end = await peer.next('the FIN after the notice', lesson.see(CLOSING));
    if ('line' in end || end.closed !== 'FIN') {
      throw peer.client.fail(
        `after the notice, the connection ends with FIN (socket.end(), and stop its timers), got ${'line' in end ? printable(`${end.line}\n`) : 'a reset'}. ${lesson.see(CLOSING)}`,
      );
    }
  });

  it("answers a client's PING with PONG, echoes other lines, and survives a reset", async () => {
    const { server } = await startTarget({
      heartbeatIntervalMs: 3_600_000,
      maxMissedHeartbeats: 3,
      idleTimeoutMs: 0,
    });
    const peer = new Peer(await connectGraded(server));
    const task = lesson.see('Your task');
    await peer.send('PING\n');
    await peer.expect(
      'PONG',
      `Heartbeats go both ways: answer a client's \`PING\` with \`PONG\` at once. ${task}`,
    );
    await peer.send('hello\n');
    await peer.expect('hello', `Echo every line that is not PING or PONG. ${task}`);
    await peer.send('PONG\nping pong\n');
    await peer.expect(
      'ping pong',
      `A PONG gets no answer; \`ping pong\` is a message: echo it. ${task}`,
    );
    const rude = await connectGraded(server);
    await rude.send('x\n'.repeat(1000));
    rude.socket.resetAndDestroy();
    await peer.send('after\n');
    await peer.expect(
      'after',
      `Another client reset its connection: that must not stop the server (an 'error' listener on every socket; stop its timers on 'close'). ${task}`,
    );
  });
});
