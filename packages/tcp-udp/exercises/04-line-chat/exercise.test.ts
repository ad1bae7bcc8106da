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
// exercise, or a program in any language (SOCKETLAB_TARGET='cmd:python3 my_chat.py').
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startChatServer(0), {
    uncaughtHint: `Give every socket an 'error' listener: a client's reset is thrown otherwise, and stops the server for everyone. ${lesson.see('Fan-out, and who is in the room')}`,
  });
}

/**
 * Reads one line and fails with the whole conversation when it is not `expected`; the hint ends
 * with the lesson section that explains it ("Your task" unless another is named).
 */
async function expectLine(
  client: WireClient,
  expected: string,
  hint: string,
  section = 'Your task',
): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await client.readLineBytes();
  } catch (error) {
    if (error instanceof WireError) {
      throw new WireError(
        `${error.message}\nexpected ${printable(`${expected}\n`)}. ${hint}. ${lesson.see(section)}`,
      );
    }
    throw error;
  }
  const line = bytes.toString('utf8');
  if (line !== `${expected}\n`) {
    const why = line.endsWith('\r\n')
      ? `the line still holds the \\r of a \\r\\n ending: drop a \\r right before the \\n. ${lesson.see('Framing: lines from a stream')}`
      : `${hint}. ${lesson.see(section)}`;
    throw client.fail(
      `expected the line ${printable(`${expected}\n`)}, got ${printable(line)}. ${why}`,
    );
  }
}

/**
 * Sends `pieces` from `sender` so that the server reads each one as a separate chunk (written
 * back to back they would usually arrive glued into one, and a server that forgets a partial
 * line would pass). After each piece but the last, `witness` (another client in the chat) sends
 * a line and `sender` waits until it is relayed: the server handled the witness's line, so it
 * has read the piece, which reached its socket before the witness's line was even written. With
 * Nagle off, a piece is never held back by the sender's kernel either.
 *
 * For a server in this process that is exact (one event loop). For a program elsewhere, "the
 * server has read the piece" has no sign on the wire of its own (a partial line gets no answer),
 * so this is the closest event: at worst the pieces arrive glued and a wrong server passes; a
 * correct one never fails.
 */
async function sendInPieces(
  sender: { client: WireClient; nick: string },
  witness: { client: WireClient; nick: string },
  pieces: readonly (string | Uint8Array)[],
): Promise<void> {
  sender.client.socket.setNoDelay(true);
  for (const [i, piece] of pieces.entries()) {
    await sender.client.send(piece);
    if (i === pieces.length - 1) break;
    await witness.client.send(`sync ${i}\n`);
    await expectLine(
      sender.client,
      `${witness.nick}: sync ${i}`,
      `${witness.nick} sent a line while ${sender.nick} was in the middle of one: relay whole lines, each to every other client, as \`NICK: TEXT\``,
    );
  }
}

/** Connects, sends the nick line, and checks that every client already in hears the join. */
async function join(
  server: ServerUnderTest,
  nick: string,
  others: readonly WireClient[],
): Promise<WireClient> {
  const client = await connectGraded(server);
  await client.send(`${nick}\n`);
  for (const other of others) {
    await expectLine(
      other,
      `* ${nick} joined`,
      "A client's first line is its nick: announce it to everyone already in as `* NICK joined` (not to the new client itself)",
    );
  }
  return client;
}

describe('a line chat server (graded over the wire)', () => {
  it('relays a line to the other client as "nick: text", not back to the sender', async () => {
    const server = await startTarget();
    const alice = await join(server, 'alice', []);
    const bob = await join(server, 'bob', [alice]);
    await bob.send('hi alice\n');
    await expectLine(alice, 'bob: hi alice', 'Each later line goes to the others as `NICK: TEXT`');
    await alice.send('hi bob\n');
    await expectLine(
      bob,
      'alice: hi bob',
      'bob should get only the others\' lines: if this is "bob: hi alice", the sender got its own line back',
    );
  });

  it('relays lines split across writes, several lines in one write, and \\r\\n lines', async () => {
    const server = await startTarget();
    const alice = await join(server, 'alice', []);
    const bob = await join(server, 'bob', [alice]);
    const hint = 'Lines arrive in pieces and glued together: buffer per client and cut at \\n';
    const framing = 'Framing: lines from a stream';
    const pieces = (list: (string | Uint8Array)[]) =>
      sendInPieces({ client: bob, nick: 'bob' }, { client: alice, nick: 'alice' }, list);
    await pieces(['spl', 'it acr', 'oss writes\n']);
    await expectLine(alice, 'bob: split across writes', hint, framing);
    const check = Buffer.from('✓'); // 3 bytes: e2 9c 93, cut inside the character
    await pieces([
      Buffer.concat([Buffer.from('caf\u00e9 '), check.subarray(0, 1)]),
      Buffer.concat([check.subarray(1), Buffer.from('\n')]),
    ]);
    await expectLine(
      alice,
      'bob: café ✓',
      `${hint}; decode a whole line as UTF-8, never a chunk: a chunk can end inside a character`,
      framing,
    );
    await bob.send('one\ntwo\r\nthree ✓\n');
    await expectLine(alice, 'bob: one', hint, framing);
    await expectLine(alice, 'bob: two', `${hint}; drop a \\r before the \\n`, framing);
    await expectLine(alice, 'bob: three ✓', hint, framing);
    const long = 'x'.repeat(4000);
    await bob.send(`${long}\n`);
    await expectLine(alice, `bob: ${long}`, 'Lines of 4000 bytes must be relayed whole');
  });

  it('sends nothing to a client before its nick, and announces it only once it has one', async () => {
    const server = await startTarget();
    const alice = await join(server, 'alice', []);
    const lurker = await connectGraded(server); // connected, no nick yet
    await alice.send('before you joined\n');
    const bob = await join(server, 'bob', [alice]); // the server has handled alice's line by now
    await lurker.send('carol\n');
    await expectLine(alice, '* carol joined', 'Announce a join when the nick line arrives');
    await expectLine(bob, '* carol joined', 'Announce a join to everyone already in');
    await bob.send('after\n');
    await expectLine(
      lurker,
      'bob: after',
      'A client without a nick is not in the chat yet: it must not get lines, nor the joins before its own',
    );
    await expectLine(alice, 'bob: after', 'Each later line goes to every other client');
  });

  it('serves 8 clients at once: every line reaches the 7 others', async () => {
    const server = await startTarget();
    const clients: WireClient[] = [];
    for (let i = 0; i < 8; i++) clients.push(await join(server, `user${i}`, clients));
    await Promise.all(clients.map((client, i) => client.send(`line from ${i}\n`)));
    await Promise.all(
      clients.map(async (client, i) => {
        const got = new Set<string>();
        for (let k = 0; k < 7; k++) got.add(await client.readLine());
        const expected = new Set(
          clients.flatMap((_, j) => (j === i ? [] : [`user${j}: line from ${j}`])),
        );
        if ([...expected].some((line) => !got.has(line))) {
          throw client.fail(
            `user${i} should get the 7 other lines (in any order), got ${printable([...got].join('\n'))}`,
          );
        }
      }),
    );
  });

  it('announces a leave (FIN or reset) and keeps the others chatting', async () => {
    const server = await startTarget();
    const alice = await join(server, 'alice', []);
    const bob = await join(server, 'bob', [alice]);
    const carol = await join(server, 'carol', [alice, bob]);
    const nameless = await connectGraded(server); // leaves before sending a nick: not announced
    nameless.end();
    await nameless.readToEnd().catch(() => Buffer.alloc(0)); // the server has seen its FIN
    carol.end(); // FIN
    const hint =
      'When a client that has a nick disconnects, tell the others `* NICK left` (a client that ' +
      'leaves before its nick is not announced: if you got a different line, check that case)';
    await expectLine(alice, '* carol left', hint);
    await expectLine(bob, '* carol left', hint, 'Fan-out, and who is in the room');
    await bob.send('still here\n');
    await expectLine(alice, 'bob: still here', 'After a leave, the others must keep chatting');
    bob.socket.resetAndDestroy(); // RST: an abrupt leave
    await expectLine(
      alice,
      '* bob left',
      'A reset is a leave too; handle "error" on every socket so it does not crash the server',
      'Fan-out, and who is in the room',
    );
    const dave = await join(server, 'dave', [alice]);
    await dave.send('hello\n');
    await expectLine(alice, 'dave: hello', 'The server must keep accepting after clients leave');
  });
});
