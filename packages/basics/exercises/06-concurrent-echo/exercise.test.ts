import {
  connectGraded,
  isModuleTarget,
  lessonOf,
  loadExercise,
  printable,
  type ServerUnderTest,
  startGradedServer,
  type WireClient,
  WireError,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

// A wire-level spec: it talks to the server only over sockets, so it grades the solution, your
// exercise, or a program in any language (SOCKETLAB_TARGET='cmd:python3 my_server.py').
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);
const BLOCKING_HINT =
  'Another client was connected but silent at the time. If your server serves one client at a ' +
  'time (waiting for the current one to finish before reading the next), it blocks everyone ' +
  `behind it. ${lesson.see('Blocking vs non-blocking')}`;

function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startEchoServer(0), {
    uncaughtHint: `Give every socket an 'error' listener: a client's reset is thrown otherwise, and stops the server for everyone. ${lesson.see('Your task')}`,
  });
}

/** Reads one line and fails with the whole conversation when it is not `expected`. */
async function expectLine(client: WireClient, expected: string, hint = ''): Promise<void> {
  let line: string;
  try {
    line = await client.readLine();
  } catch (error) {
    if (error instanceof WireError && hint) throw new WireError(`${error.message}\n${hint}`);
    throw error;
  }
  if (line !== expected) {
    throw client.fail(
      `expected the echo ${printable(expected)}, got ${printable(line)}. ${lesson.see('Lines over a stream, per connection')}`,
    );
  }
}

describe('a concurrent line echo server', () => {
  it('echoes one line back to one client', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    await client.send('hello\n');
    await expectLine(client, 'hello');
  });

  it('echoes a line that arrives split across several writes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    for (const piece of ['hel', 'lo wo', 'rld\n']) await client.send(piece);
    await expectLine(client, 'hello world');
  });

  it('echoes several lines sent in one write, in order', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    await client.send('one\ntwo\nthree ✓\n');
    await expectLine(client, 'one');
    await expectLine(client, 'two');
    await expectLine(client, 'three ✓');
  });

  it('answers a second client while the first is connected but silent', async () => {
    const server = await startTarget();
    const silent = await connectGraded(server);
    await silent.send('I type slowly'); // half a line, then nothing
    const second = await connectGraded(server);
    await second.send('are you there?\n');
    await expectLine(second, 'are you there?', BLOCKING_HINT);
    await silent.send(', but I finish\n');
    await expectLine(silent, 'I type slowly, but I finish');
  });

  it('serves 20 clients at once, interleaved, each getting only its own lines', async () => {
    const server = await startTarget();
    const idle = await connectGraded(server);
    await idle.send('still thinking');
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectGraded(server)));
    // Every client starts a line, then all finish theirs in the reverse order.
    for (const [i, client] of clients.entries()) await client.send(`client ${i} `);
    for (const [i, client] of [...clients.entries()].reverse()) {
      await client.send(`says ${'x'.repeat(i)}\n`);
    }
    await Promise.all(
      clients.map((client, i) =>
        expectLine(client, `client ${i} says ${'x'.repeat(i)}`, BLOCKING_HINT),
      ),
    );
    await Promise.all(clients.map((client, i) => client.send(`second line from ${i}\n`)));
    await Promise.all(clients.map((client, i) => expectLine(client, `second line from ${i}`)));
    await idle.send('\n');
    await expectLine(idle, 'still thinking');
  });

  it('keeps serving after clients disconnect abruptly', async () => {
    // In-process targets: an 'error' nobody listens for fails this test through startTarget's
    // uncaughtHint (a real program would crash, and the next connection would be refused).
    const server = await startTarget();
    const reset = await connectGraded(server);
    // The echo of 'ping' proves the server has accepted this connection and read the write that
    // carried it, half line included. Only then does the RST make its next read fail with
    // ECONNRESET: an RST that finds data still unread (or the connection still in the listen
    // backlog) reaches a Node server as an ordinary end instead, and would test nothing.
    await reset.send('ping\nhalf a li');
    await expectLine(reset, 'ping');
    reset.socket.resetAndDestroy();
    const vanished = await connectGraded(server);
    await vanished.send('gone before the echo\n');
    vanished.close();
    const next = await connectGraded(server);
    await next.send('still alive?\n');
    await expectLine(
      next,
      'still alive?',
      'Two clients had just disconnected abruptly. A socket error with no "error" listener ' +
        `crashes a Node server: handle it per connection. ${lesson.see('Your task')}`,
    );
    const later = await connectGraded(server);
    await later.send('and again\n');
    await expectLine(later, 'and again', BLOCKING_HINT);
  });

  it('echoes the last line and closes when the client half-closes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    await client.send('bye\n');
    client.end(); // FIN: the client will send nothing more
    await expectLine(client, 'bye');
    const rest = await client.readToEnd();
    expect(
      rest.length,
      `after the client's FIN the server should send nothing more and close; it sent ${printable(rest)}`,
    ).toBe(0);
  });

  it.runIf(isModuleTarget())(
    'close() resolves while a client is still connected (it closes open connections too)',
    async () => {
      const { startEchoServer } = await loadExercise<Exercise>(import.meta.url);
      const server = await startEchoServer(0);
      onTestFinished(() => void server.close()); // not awaited: the close itself is under test
      const client = await connectGraded({ host: '127.0.0.1', port: server.port });
      await client.send('still here\n');
      await expectLine(client, 'still here');
      await withTimeout(
        Promise.resolve(server.close()),
        `close() to resolve while a client is connected: server.close() alone waits for every connection to end, so keep the open sockets in a Set and destroy them. ${lesson.see('Your task')}`,
        3_000,
      );
    },
  );
});
