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

// A wire-level spec: it talks to the server only over sockets, so it grades the solution, your
// exercise, or a program in any language (SOCKETLAB_TARGET='cmd:python3 my_server.py').
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startNumberingServer(0), {
    uncaughtHint: `Give every socket an 'error' listener: one client's reset is thrown otherwise, and stops the server for every client. ${lesson.see('One client fails, the others go on')}`,
  });
}

/** Reads one line; fails with the conversation, the hint and the lesson section if it differs. */
async function expectLine(
  client: WireClient,
  expected: string,
  hint: string,
  section = 'Your task',
): Promise<void> {
  let line: string;
  try {
    line = (await client.readLineBytes()).toString('utf8');
  } catch (error) {
    if (error instanceof WireError) {
      throw new WireError(
        `${error.message}\nexpected ${printable(`${expected}\n`)}. ${hint}. ${lesson.see(section)}`,
      );
    }
    throw error;
  }
  if (line !== `${expected}\n`) {
    throw client.fail(
      `expected the line ${printable(`${expected}\n`)}, got ${printable(line)}. ${hint}. ${lesson.see(section)}`,
    );
  }
}

describe('a server for many clients at once (graded over the wire)', () => {
  it('answers each line with its number on that connection', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    await client.send('hello\n');
    await expectLine(client, '1 hello', 'Answer a line with `N TEXT`, N counting from 1');
    await client.send('two\nthree\r\n');
    const glued = 'Two lines can arrive in one chunk: answer every complete line in it';
    await expectLine(client, '2 two', glued, 'Each connection, its own state');
    await expectLine(client, '3 three', `${glued}; drop a \\r before the \\n`);
    const long = 'y'.repeat(1000);
    await client.send(`${long}\n`);
    await expectLine(client, `4 ${long}`, 'Lines of 1000 bytes must be answered whole');
  });

  it('serves 40 clients whose bytes arrive interleaved one at a time: each gets exactly its own answers', async () => {
    const server = await startTarget();
    const clients: WireClient[] = [];
    for (let i = 0; i < 40; i++) clients.push(await connectGraded(server));
    const texts = clients.map((_, i) => [`c${i} first`, `c${i} second line`, `c${i} 3rd`]);
    const payloads = texts.map((lines) => Buffer.from(lines.map((l) => `${l}\n`).join('')));
    for (const client of clients) client.socket.setNoDelay(true);
    const longest = Math.max(...payloads.map((p) => p.length));
    // Round r sends byte r of every client: the server sees 40 connections, each a byte at a time.
    for (let r = 0; r < longest; r++) {
      await Promise.all(
        clients.map((client, i) => {
          const byte = payloads[i]?.subarray(r, r + 1);
          return byte && byte.length > 0 ? client.send(byte) : undefined;
        }),
      );
    }
    const hint =
      'Each connection needs its OWN pending bytes and its OWN line count: a buffer or a counter ' +
      'shared by all connections mixes their bytes (or numbers) together';
    await Promise.all(
      clients.map(async (client, i) => {
        for (const [k, text] of (texts[i] ?? []).entries()) {
          await expectLine(client, `${k + 1} ${text}`, hint, 'Each connection, its own state');
        }
        // Exactly its own answers: the next line it gets is the answer to one more request.
        await client.send('last\n');
        await expectLine(
          client,
          '4 last',
          `client ${i} got a line it did not ask for before this one: answer only on the connection the line came from`,
          'Each connection, its own state',
        );
      }),
    );
  });

  it('a stalled client (half a line, then nothing) holds up nobody', async () => {
    const server = await startTarget();
    const stalled = await connectGraded(server);
    await stalled.send('stal'); // half a line: the server must wait for the rest, not block on it
    const other = await connectGraded(server);
    await other.send('hi\n');
    await expectLine(
      other,
      '1 hi',
      'A client that sent half a line blocks nothing: keep its partial line with it and serve the ' +
        'others (no loop that waits on one client; no buffer shared between clients)',
      'One event loop, many sockets',
    );
    await stalled.send('led\n');
    await expectLine(
      stalled,
      '1 stalled',
      'The stalled client finished its line: it is its first, and its bytes are its own',
      'Each connection, its own state',
    );
  });

  it("one client's reset takes down neither the server nor the other clients", async () => {
    const server = await startTarget();
    const bystander = await connectGraded(server);
    await bystander.send('before\n');
    await expectLine(bystander, '1 before', 'Answer a line with `N TEXT`');
    const rude = await connectGraded(server);
    // Many requests, then a reset before reading a single answer: the server's reads fail with
    // ECONNRESET and its writes with EPIPE.
    await rude.send('x\n'.repeat(2000));
    rude.socket.resetAndDestroy();
    const section = 'One client fails, the others go on';
    await bystander.send('after\n');
    await expectLine(
      bystander,
      '2 after',
      'A client reset its connection: that is an error on ITS socket only; the others go on',
      section,
    );
    const newcomer = await connectGraded(server).catch((error: unknown) => {
      throw new WireError(
        `the server no longer accepts connections after a client's reset (${String(error)}). ${lesson.see(section)}`,
      );
    });
    await newcomer.send('new\n');
    await expectLine(newcomer, '1 new', 'The server must keep accepting after a reset', section);
  });

  it('answers every line before a FIN, then ends its side of the connection', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    await client.send('a\nb\n');
    client.end(); // FIN: the client sends nothing more but still reads
    let rest: Buffer;
    try {
      rest = await client.readToEnd();
    } catch (error) {
      throw new WireError(
        `${(error as Error).message}\nAfter the client's FIN, answer what it sent, then end your side ('end' → socket.end()). ${lesson.see('The end of a conversation')}`,
      );
    }
    if (rest.toString('utf8') !== '1 a\n2 b\n') {
      throw client.fail(
        `after its FIN the client should have got ${printable('1 a\n2 b\n')} then the end of the stream, got ${printable(rest)}. ${lesson.see('The end of a conversation')}`,
      );
    }
  });
});
