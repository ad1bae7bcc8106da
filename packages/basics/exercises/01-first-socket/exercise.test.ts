import net from 'node:net';
import {
  closeServer,
  failOnUncaught,
  freePort,
  type LoopbackHost,
  lessonOf,
  listenOnFreePort,
  loadExercise,
  printable,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

type Exercise = typeof import('./exercise.ts');
const { sendLine } = await loadExercise<Exercise>(import.meta.url);
const lesson = lessonOf(import.meta.url);

/** What the grading server saw of one connection. */
interface Seen {
  received: Buffer;
  /** Settles when the learner's side has closed the connection. */
  closed: Promise<void>;
}

/** How the grading server answers the first line it receives. */
type Answer = (line: string, socket: net.Socket) => void;

const youSaid: Answer = (line, socket) => {
  socket.write(`you said: ${line}\n`);
};

/**
 * A tiny line server for grading: it answers the first line and then KEEPS the connection open
 * (a real server would wait for more), closing only when the client closes its side.
 */
async function startGradingServer(host: LoopbackHost = '127.0.0.1', answer: Answer = youSaid) {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // A reset from the learner still counts as closing.
    const record: Seen = {
      received: Buffer.alloc(0),
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
    };
    seen.push(record);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      record.received = Buffer.concat([record.received, chunk]);
      const end = record.received.indexOf(0x0a);
      if (!answered && end >= 0) {
        answered = true;
        answer(record.received.subarray(0, end).toString('utf8'), socket);
      }
    });
  });
  const { port } = await listenOnFreePort(server, host);
  onTestFinished(() => closeServer(server, sockets));
  return { port, seen };
}

/**
 * Runs `fn` after one whole turn of the event loop. The client's socket is polled in between, so
 * what the server wrote before reaches the client as its own 'data' chunk: a split it must handle.
 * (A single setImmediate is not enough: it runs before the loop polls sockets again.)
 */
function afterATurn(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}

/** Calls the learner's sendLine with a bound and a message that says what was expected. */
function call(host: string, port: number, line: string): Promise<string> {
  return withTimeout(
    sendLine(host, port, line),
    `sendLine(${JSON.stringify(host)}, ${port}, ${JSON.stringify(line)}) to resolve. The server ` +
      'replied with one line and keeps the connection open (as servers do), so resolve as soon ' +
      `as a whole line, ending in \\n, has arrived; do not wait for the server to close. ${lesson.see('Bytes, not messages')}`,
    3_000,
  );
}

/** Whether `error` or any error in its `cause` chain is ECONNREFUSED. */
function isRefused(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

describe('sendLine', () => {
  it('returns the line the server sends back', async () => {
    const { port } = await startGradingServer();
    expect(await call('127.0.0.1', port, 'hello'), 'the reply, without its \\n').toBe(
      'you said: hello',
    );
  });

  it.each(['ping', 'grüße, 世界', ''])('sends %j followed by exactly one \\n', async (line) => {
    const { port, seen } = await startGradingServer();
    await call('127.0.0.1', port, line);
    const expected = Buffer.from(`${line}\n`);
    const got = seen[0]?.received ?? Buffer.alloc(0);
    expect(
      got.equals(expected),
      `the bytes the server received: expected ${printable(expected)}, got ${printable(got)}. ${lesson.see('Your task')}`,
    ).toBe(true);
  });

  it('waits for a reply that arrives in several pieces', async () => {
    const { port } = await startGradingServer('127.0.0.1', (line, socket) => {
      socket.write('you ');
      afterATurn(() => {
        socket.write('said: ');
        afterATurn(() => socket.write(`${line}\n`));
      });
    });
    expect(
      await call('127.0.0.1', port, 'patience'),
      `the whole line, not the first piece. ${lesson.see('Bytes, not messages')}`,
    ).toBe('you said: patience');
  });

  it('decodes a UTF-8 character split between two pieces', async () => {
    const reply = Buffer.from('héllo ✓\n');
    const { port } = await startGradingServer('127.0.0.1', (_, socket) => {
      const cut = reply.indexOf(Buffer.from('✓')) + 1; // inside the 3 bytes of ✓
      socket.write(reply.subarray(0, cut));
      afterATurn(() => socket.write(reply.subarray(cut)));
    });
    expect(
      await call('127.0.0.1', port, 'x'),
      `collect the bytes first and decode the whole line once (or use socket.setEncoding). ${lesson.see('Bytes, not messages')}`,
    ).toBe('héllo ✓');
  });

  it('returns only the text before the first \\n', async () => {
    const { port } = await startGradingServer('127.0.0.1', (_, socket) => {
      socket.write('first\nsecond\n');
    });
    expect(
      await call('127.0.0.1', port, 'x'),
      `just the first line. ${lesson.see('Bytes, not messages')}`,
    ).toBe('first');
  });

  it('closes the connection after the reply', async () => {
    const { port, seen } = await startGradingServer();
    await call('127.0.0.1', port, 'bye');
    const closed = seen[0]?.closed ?? Promise.resolve();
    await withTimeout(
      closed,
      `your side to close the connection after the reply (call socket.end() once the reply is in). ${lesson.see('The lifecycle')}`,
      3_000,
    );
  });

  it('rejects when nothing listens on the port', async () => {
    const listen = `listen for the socket's "error" event and reject with it: an error nobody listens for crashes the whole program. ${lesson.see('The lifecycle')}`;
    failOnUncaught(listen);
    const port = await freePort();
    const outcome = await withTimeout(
      sendLine('127.0.0.1', port, 'anyone?').then(
        (reply) => ({ resolved: reply }),
        (error: unknown) => ({ rejected: error }),
      ),
      `sendLine to settle when the connection is refused: ${listen}`,
      3_000,
    );
    expect(outcome, `sendLine must reject, not resolve. ${lesson.see('Your task')}`).toHaveProperty(
      'rejected',
    );
    const error = (outcome as { rejected: unknown }).rejected;
    expect(
      isRefused(error),
      `the rejection should be the connection error (ECONNREFUSED), got: ${String(error)}. ${lesson.see('Your task')}`,
    ).toBe(true);
  });

  it('works over IPv6 too (::1)', async () => {
    const { port } = await startGradingServer('::1');
    expect(await call('::1', port, 'six'), 'the reply over IPv6').toBe('you said: six');
  });
});
