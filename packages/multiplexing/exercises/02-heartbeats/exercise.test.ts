import {
  connectGraded,
  lessonOf,
  printable,
  type ServerUnderTest,
  startGradedServer,
  type WireClient,
  WireError,
} from '@socketlab/testkit';
import { describe, it } from 'vitest';
import type { HeartbeatServerOptions } from './exercise.ts';

// Graded over sockets, with the server in this process: the intervals are arguments, kept small
// so the spec is fast. Nothing waits a fixed time: every step awaits a line or the close, bounded.
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

function startTarget(options: HeartbeatServerOptions): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(
    import.meta.url,
    (mod) => mod.startHeartbeatServer({ ...options, port: 0 }),
    {
      uncaughtHint: `Give every socket an 'error' listener, and stop its timers on 'close'. ${lesson.see('Your task')}`,
    },
  );
}

/** What a scripted peer saw: every line, and how the connection ended (if it did). */
interface PeerRun {
  readonly lines: readonly string[];
  readonly closed: 'FIN' | 'reset' | undefined;
}

/** `PING` lines in a list. */
const pings = (lines: readonly string[]): number => lines.filter((l) => l === 'PING').length;

/**
 * Plays a peer: each line the server sends goes to `onLine`, which returns what to send back
 * (`undefined`: nothing, the peer stays silent), or `'done'` to stop watching. Resolves at
 * `'done'` or when the server closes the connection; fails with the conversation after `ms`.
 */
function runPeer(
  client: WireClient,
  onLine: (line: string, seen: readonly string[]) => string | 'done' | undefined,
  waitingFor: string,
  ms = 5_000,
): Promise<PeerRun> {
  const { socket } = client;
  const lines: string[] = [];
  let pending = Buffer.alloc(0);
  let reset = false;
  return new Promise<PeerRun>((resolve, reject) => {
    let finished = false;
    const finish = (settle: () => void): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      settle();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            client.fail(
              `timed out after ${ms} ms waiting for ${waitingFor}; the lines so far: ${printable(lines.join('\n'))}`,
            ),
          ),
        ),
      ms,
    );
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      for (let at = pending.indexOf(0x0a); at >= 0 && !finished; at = pending.indexOf(0x0a)) {
        const line = pending.subarray(0, at).toString('utf8').replace(/\r$/, '');
        pending = pending.subarray(at + 1);
        lines.push(line);
        const reply = onLine(line, lines);
        if (reply === 'done') finish(() => resolve({ lines, closed: undefined }));
        else if (reply !== undefined) void client.send(reply).catch(() => undefined);
      }
    };
    const onError = (): void => {
      reset = true;
    };
    const onClose = (): void => finish(() => resolve({ lines, closed: reset ? 'reset' : 'FIN' }));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

describe('heartbeats and idle timeouts (graded over the wire)', () => {
  it('keeps a client that answers every PING with PONG', async () => {
    const server = await startTarget({
      heartbeatIntervalMs: 50,
      maxMissedHeartbeats: 2,
      idleTimeoutMs: 0,
    });
    const client = await connectGraded(server);
    const run = await runPeer(
      client,
      (line, seen) => {
        if (line === 'still alive') return 'done';
        if (line !== 'PING') return undefined;
        return pings(seen) === 8 ? 'PONG\nstill alive\n' : 'PONG\n';
      },
      '8 PINGs (each answered PONG), then the echo of "still alive"',
    ).catch((error: unknown) => {
      throw new WireError(
        `${(error as Error).message}\nSend \`PING\\n\` every heartbeatIntervalMs, and echo any other line. ${lesson.see('Heartbeats: ping, pong, and misses in a row')}`,
      );
    });
    if (run.closed !== undefined) {
      throw client.fail(
        `the server closed a client that answered every PING (after ${pings(run.lines)} PINGs): a PONG answers the last PING, and idleTimeoutMs 0 means no idle timeout. ${lesson.see('Heartbeats: ping, pong, and misses in a row')}`,
      );
    }
  });

  it('cuts a silent client after exactly maxMissedHeartbeats unanswered PINGs, without a notice', async () => {
    const server = await startTarget({
      heartbeatIntervalMs: 40,
      maxMissedHeartbeats: 4,
      idleTimeoutMs: 0,
    });
    const client = await connectGraded(server);
    const section = 'Heartbeats: ping, pong, and misses in a row';
    const run = await runPeer(
      client,
      () => undefined,
      'the server to cut a peer that answers nothing',
    ).catch((error: unknown) => {
      throw new WireError(
        `${(error as Error).message}\nA peer that answers no PING is gone (it may never send a FIN): cut it after maxMissedHeartbeats (4) PINGs in a row go unanswered. ${lesson.see(section)}`,
      );
    });
    const got = pings(run.lines);
    const others = run.lines.filter((l) => l !== 'PING');
    if (others.length > 0) {
      throw client.fail(
        `a cut sends nothing but the PINGs before it, got also ${printable(others.join('\n'))}: the peer is presumed dead, and a notice would only wait in a buffer nobody reads. ${lesson.see('Two ways to close: a notice or a cut')}`,
      );
    }
    if (got !== 4) {
      const why =
        got < 4
          ? 'you cut too early: a miss is a PING that got no answer before the next beat, so the first beat cannot count one (nothing was asked yet), and the cut comes at the beat where misses in a row reach maxMissedHeartbeats'
          : 'you cut too late: at the beat where misses in a row reach maxMissedHeartbeats, cut instead of sending another PING';
      throw client.fail(
        `with maxMissedHeartbeats 4 a silent peer gets exactly 4 PINGs, then the cut; it got ${got}: ${why}. ${lesson.see(section)}`,
      );
    }
  });

  it('counts misses in a row: a PONG or a message starts the count again', async () => {
    const server = await startTarget({
      heartbeatIntervalMs: 100,
      maxMissedHeartbeats: 3,
      idleTimeoutMs: 0,
    });
    const client = await connectGraded(server);
    // Answers PING 3 with PONG and PING 6 with a message; every other PING goes unanswered.
    const run = await runPeer(
      client,
      (line, seen) => {
        if (line !== 'PING') return undefined;
        const n = pings(seen);
        if (n === 3) return 'PONG\n';
        if (n === 6) return 'still here\n';
        return undefined;
      },
      'the cut after the last answer',
      8_000,
    );
    const expected = [...Array(6).fill('PING'), 'still here', ...Array(3).fill('PING')];
    if (run.closed === undefined || run.lines.join('\n') !== expected.join('\n')) {
      const got = pings(run.lines);
      const why = !run.lines.includes('still here')
        ? 'a line other than PING or PONG is a message: echo it'
        : got < 9
          ? 'you cut too early: a PONG answers the last PING, and so does any message (the peer is evidently alive); either resets the misses in a row to 0'
          : 'after the answer to PING 6, three more PINGs in a row went unanswered: cut then';
      throw client.fail(
        `the peer answered PING 3 with PONG and PING 6 with a message, and nothing else: it should get ${printable(expected.join('\n'))} and then the cut, got ${printable(run.lines.join('\n'))}${run.closed ? ` then a ${run.closed}` : ''}: ${why}. ${lesson.see('Heartbeats: ping, pong, and misses in a row')}`,
      );
    }
  });

  it('closes an idle client with a notice and a FIN: PONGs keep it alive but do not make it busy', async () => {
    const server = await startTarget({
      heartbeatIntervalMs: 50,
      maxMissedHeartbeats: 3,
      idleTimeoutMs: 600,
    });
    const client = await connectGraded(server);
    // 15 PINGs answered with PONG and a message (at least 750 ms with messages, more than the
    // idle timeout: messages restart the idle clock), then PONGs only, until the server closes.
    const run = await runPeer(
      client,
      (line, seen) => {
        if (line !== 'PING') return undefined;
        const n = pings(seen);
        return n <= 15 ? `PONG\nm${n}\n` : 'PONG\n';
      },
      'the idle timeout',
      10_000,
    ).catch((error: unknown) => {
      throw new WireError(
        `${(error as Error).message}\nThe client answered every PING but sent no message for idleTimeoutMs (600): close it with the notice. A PONG is not a message: it proves the peer alive, not that it is using the connection. ${lesson.see('Idle timeouts')}`,
      );
    });
    const idle = lesson.see('Idle timeouts');
    const echoes = run.lines.filter((l) => /^m\d+$/.test(l));
    if (echoes.length < 15) {
      throw client.fail(
        `the client sent a message with every PONG for its first 15 PINGs (one every 50 ms, the idle timeout is 600 ms), but only ${echoes.length} came back before the close: a message restarts the idle clock. ${idle}`,
      );
    }
    const last = run.lines.at(-1) ?? '';
    if (!last.startsWith('MULTIPLEXING_ERR_IDLE_TIMEOUT ')) {
      throw client.fail(
        `an idle client is told why before the close: the last line should start with "MULTIPLEXING_ERR_IDLE_TIMEOUT " (the code, a space, then words for a person), got ${printable(last)}. ${lesson.see('Two ways to close: a notice or a cut')}`,
      );
    }
    if (run.closed !== 'FIN') {
      throw client.fail(
        `after the notice, end the connection (FIN, socket.end()) so the notice is delivered; it ended with a ${run.closed}. ${lesson.see('Two ways to close: a notice or a cut')}`,
      );
    }
  });

  it("answers a client's PING with PONG, echoes other lines, and survives a reset", async () => {
    const server = await startTarget({
      heartbeatIntervalMs: 60_000,
      maxMissedHeartbeats: 3,
      idleTimeoutMs: 0,
    });
    const client = await connectGraded(server);
    const expect = async (sent: string, wanted: string, hint: string): Promise<void> => {
      await client.send(sent);
      const line = await client.readLine().catch((error: unknown) => {
        throw new WireError(`${(error as Error).message}\n${hint}. ${lesson.see('Your task')}`);
      });
      if (line !== wanted) {
        throw client.fail(
          `sent ${printable(sent)}, expected ${printable(wanted)}, got ${printable(line)}: ${hint}. ${lesson.see('Your task')}`,
        );
      }
    };
    await expect(
      'PING\n',
      'PONG',
      "Heartbeats go both ways: answer a client's `PING` with `PONG` at once",
    );
    await expect('hello\n', 'hello', 'Echo every line that is not PING or PONG');
    await expect(
      'PONG\nping pong\n',
      'ping pong',
      'A PONG gets no answer; `ping pong` is a message',
    );
    const rude = await connectGraded(server);
    await rude.send('x\n'.repeat(1000));
    rude.socket.resetAndDestroy();
    await expect(
      'after\n',
      'after',
      'Another client reset its connection: that must not stop the server (an error listener per socket; stop its timers on close)',
    );
  });
});
