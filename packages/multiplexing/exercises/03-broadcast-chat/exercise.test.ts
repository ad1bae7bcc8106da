import {
  connectGraded,
  isModuleTarget,
  lessonOf,
  printable,
  type ServerUnderTest,
  startGradedServer,
  type WireClient,
  WireError,
} from '@socketlab/testkit';
import { describe, it } from 'vitest';

// A wire-level spec: it talks to the server only over sockets, so it grades the solution, your
// exercise, or a program in any language:
//   SOCKETLAB_TARGET='cmd:python3 examples/broadcast_chat_server.py'
type Exercise = typeof import('./exercise.ts');

const lesson = lessonOf(import.meta.url);

async function startTarget(): Promise<ServerUnderTest> {
  const server = await startGradedServer<Exercise>(
    import.meta.url,
    (mod) => mod.startBroadcastChat(0),
    {
      uncaughtHint: `Give every socket an 'error' listener: a client's reset is thrown otherwise, and stops the chat for everyone. ${lesson.see('Leaving: FIN, reset, or nothing at all')}`,
    },
  );
  if (!isModuleTarget()) await emptyTheLobby(server);
  return server;
}

/**
 * A program started with `cmd:` was found ready by a connection that closed at once, and the
 * program may welcome it into #lobby after the spec's first client: the head counts would be one
 * too many. So a sentinel client comes first, waits until every such early client has left
 * #lobby, then moves to a room of its own (it stays connected, out of the way, to the end).
 */
async function emptyTheLobby(server: ServerUnderTest): Promise<void> {
  const sentinel = await connectGraded(server);
  const welcome = await expectLine(
    sentinel,
    WELCOME,
    'Greet each newcomer with `* welcome, you are NICK, in #lobby (N here); type /help for commands`',
  );
  const [, nick = '', here] = WELCOME.exec(welcome) ?? [];
  for (let early = Number(here) - 1; early > 0; early--) {
    await expectLine(
      sentinel,
      /^\* \S+ left #lobby$/,
      `a client of the readiness check (it connected and closed at once) was in #lobby: tell #lobby when it leaves, \`* NICK left #lobby\``,
      'Leaving: FIN, reset, or nothing at all',
    );
  }
  await sentinel.send('/join grader-sentinel\n');
  await expectLine(
    sentinel,
    `* you are in #grader-sentinel (1 here): ${nick}`,
    'the grader moves a first client out of #lobby with `/join`: answer `* you are in #ROOM (N here): NICK, …`',
    'Rooms',
  );
}

/** A client in the chat, under the nick its welcome line gave it. */
interface Member {
  readonly client: WireClient;
  readonly nick: string;
}

const WELCOME =
  /^\* welcome, you are ([A-Za-z0-9_-]{1,16}), in #lobby \((\d+) here\); type \/help for commands$/;

/**
 * Reads one line and fails with the conversation when it is not `expected` (a string: exactly
 * that line; a RegExp: a line it matches). Returns the line, without its `\n`.
 */
async function expectLine(
  client: WireClient,
  expected: string | RegExp,
  hint: string,
  section = 'The protocol',
): Promise<string> {
  const shown = typeof expected === 'string' ? printable(`${expected}\n`) : String(expected);
  let bytes: Buffer;
  try {
    bytes = await client.readLineBytes();
  } catch (error) {
    if (error instanceof WireError) {
      throw new WireError(`${error.message}\nexpected ${shown}. ${hint}. ${lesson.see(section)}`);
    }
    throw error;
  }
  const raw = bytes.toString('utf8');
  const line = raw.replace(/\n$/, '');
  const ok = typeof expected === 'string' ? raw === `${expected}\n` : expected.test(line);
  if (!ok || raw.endsWith('\r\n')) {
    throw client.fail(
      `expected the line ${shown}, got ${printable(raw)}. ${hint}. ${lesson.see(section)}`,
    );
  }
  return line;
}

/** Connects a client, checks its welcome (nick, head count) and the join notice in #lobby. */
async function join(server: ServerUnderTest, lobby: readonly Member[]): Promise<Member> {
  const client = await connectGraded(server);
  const welcome = await expectLine(
    client,
    WELCOME,
    'Greet each newcomer with `* welcome, you are NICK, in #lobby (N here); type /help for commands`',
  );
  const [, nick = '', here] = WELCOME.exec(welcome) ?? [];
  if (Number(here) !== lobby.length + 1) {
    throw client.fail(
      `the welcome says ${here} here, but #lobby holds ${lobby.length + 1} clients with the newcomer: count who is in the room now (a client that left is gone from it). ${lesson.see('Who is where')}`,
    );
  }
  if (lobby.some((m) => m.nick.toLowerCase() === nick.toLowerCase())) {
    throw client.fail(
      `the newcomer was named ${nick}, as a client already in: every client needs its own nick (guest1, guest2, …). ${lesson.see('The protocol')}`,
    );
  }
  for (const other of lobby) {
    await expectLine(
      other.client,
      `* ${nick} joined #lobby`,
      'Tell everyone already in #lobby `* NICK joined #lobby` when a client connects',
    );
  }
  return { client, nick };
}

/** Clients joined one after the other, all in #lobby. */
async function joinMany(server: ServerUnderTest, count: number): Promise<Member[]> {
  const members: Member[] = [];
  for (let i = 0; i < count; i++) members.push(await join(server, members));
  return members;
}

let syncs = 0;
/**
 * `/me` from `member`, read by it and by `room` (the others in its room): the next line each one
 * gets must be that action, which proves that nothing else was sent to them before it.
 */
async function sync(member: Member, room: readonly Member[], why: string): Promise<void> {
  syncs++;
  await member.client.send(`/me syncs ${syncs}\n`);
  const line = `* ${member.nick} syncs ${syncs}`;
  for (const m of [member, ...room]) {
    await expectLine(
      m.client,
      line,
      m === member
        ? `${why}; \`/me TEXT\` goes to everyone in the room, the sender too, as \`* NICK TEXT\``
        : `${why}; \`/me TEXT\` goes to everyone in the room as \`* NICK TEXT\``,
    );
  }
}

/**
 * Sends `/join ROOM` (or `/leave`) from `member` and checks every notice: `left` in the room it
 * leaves (`from`, without it), `joined` in the one it enters (`to`, without it), and its own
 * `* you are in #ROOM (N here): …`, nicks in the order they came in.
 */
async function move(
  member: Member,
  command: string,
  room: string,
  from: { name: string; members: readonly Member[] },
  to: readonly Member[],
): Promise<void> {
  await member.client.send(`${command}\n`);
  const section = 'Rooms';
  for (const m of from.members) {
    await expectLine(
      m.client,
      `* ${member.nick} left #${from.name} (to #${room})`,
      `${member.nick} sent \`${command}\`: tell the room it leaves \`* NICK left #OLD (to #NEW)\``,
      section,
    );
  }
  for (const m of to) {
    await expectLine(
      m.client,
      `* ${member.nick} joined #${room}`,
      `${member.nick} sent \`${command}\`: tell the room it enters \`* NICK joined #NEW\``,
      section,
    );
  }
  const nicks = [...to, member].map((m) => m.nick);
  await expectLine(
    member.client,
    `* you are in #${room} (${nicks.length} here): ${nicks.join(', ')}`,
    `after \`${command}\`, tell the mover where it is and who is there, in the order they came in`,
    section,
  );
}

describe('a broadcast chat with rooms (graded over the wire)', () => {
  it('welcomes each client into #lobby as a new guest, and tells the lobby', async () => {
    const server = await startTarget();
    await joinMany(server, 3);
  });

  it('sends a line to the others in the room, not back to its sender; /me to everyone', async () => {
    const server = await startTarget();
    const [a, b, c] = (await joinMany(server, 3)) as [Member, Member, Member];
    await a.client.send('hello all\n');
    const relay = 'A line goes to every OTHER client in the room as `<NICK> TEXT`';
    await expectLine(b.client, `<${a.nick}> hello all`, relay, 'Broadcast');
    await expectLine(c.client, `<${a.nick}> hello all`, relay, 'Broadcast');
    await sync(a, [b, c], 'the sender must not get its own line back');
    await b.client.send('one\r\ntwo\n');
    const lines = 'Lines arrive glued together and with \\r\\n: cut at \\n, drop a \\r before it';
    for (const m of [a, c]) {
      await expectLine(m.client, `<${b.nick}> one`, lines, 'Broadcast');
      await expectLine(m.client, `<${b.nick}> two`, lines, 'Broadcast');
    }
    await c.client.send('spl');
    await c.client.send('it café ✓\n');
    for (const m of [a, b]) {
      await expectLine(
        m.client,
        `<${c.nick}> split café ✓`,
        'Keep a partial line per client until its \\n comes, and decode whole lines as UTF-8',
        'Broadcast',
      );
    }
    await sync(b, [a, c], 'nobody gets a line twice or back');
  });

  it('moves clients between rooms with /join and /leave; lines stay in their room', async () => {
    const server = await startTarget();
    const [a, b, c] = (await joinMany(server, 3)) as [Member, Member, Member];
    await move(b, '/join #dev', 'dev', { name: 'lobby', members: [a, c] }, []);
    await move(c, '/join dev', 'dev', { name: 'lobby', members: [a] }, [b]);
    await b.client.send('in dev\n');
    await expectLine(
      c.client,
      `<${b.nick}> in dev`,
      'A line goes to the others in ITS room',
      'Rooms',
    );
    await sync(
      a,
      [],
      `a line said in #dev reached ${a.nick} in #lobby: send a line only to the sender's room`,
    );
    await a.client.send('in lobby\n');
    await sync(b, [c], `a line said in #lobby reached #dev`);
    await move(b, '/leave', 'lobby', { name: 'dev', members: [c] }, [a]);
    await sync(a, [b], `${c.nick} stayed in #dev: it hears nothing from #lobby`);
    await sync(c, [], `${c.nick} is alone in #dev now`);
  });

  it('answers a bad /join or /leave with an error to the sender only, and ignores empty lines', async () => {
    const server = await startTarget();
    const [a, b] = (await joinMany(server, 2)) as [Member, Member];
    const cases: [string, string][] = [
      ['/join bad room!', 'a room name is 1 to 32 letters, digits, _ or -'],
      [`/join ${'x'.repeat(33)}`, 'a room name is at most 32 characters'],
      ['/join #', 'a room needs a name'],
      ['/join lobby', `${a.nick} is in #lobby already`],
      ['/leave', '/leave in #lobby has nowhere to go'],
    ];
    for (const [command, why] of cases) {
      await a.client.send(`${command}\n`);
      await expectLine(
        a.client,
        /^! \S/,
        `\`${command}\`: ${why}, so answer the sender with one line \`! REASON\` and move nobody`,
        'Mistakes',
      );
    }
    await a.client.send('\n   \n');
    await sync(
      a,
      [b],
      'an error goes to the sender only, and an empty line is ignored (nothing is sent)',
    );
    await b.client.send('still in lobby\n');
    await expectLine(
      a.client,
      `<${b.nick}> still in lobby`,
      'a refused /join must leave the client where it was',
      'Mistakes',
    );
  });

  it("serves 12 clients sending at once: each gets every other line, in each sender's order", async () => {
    const server = await startTarget();
    const members = await joinMany(server, 12);
    await Promise.all(members.map((m, i) => m.client.send(`m${i}-1\nm${i}-2\nm${i}-3\n`)));
    await Promise.all(
      members.map(async (m, i) => {
        const got: string[] = [];
        for (let k = 0; k < 33; k++) {
          got.push(
            await expectLine(
              m.client,
              /^<[A-Za-z0-9_-]+> m\d+-\d$/,
              `${m.nick} should get the 33 lines of the 11 others`,
              'Broadcast',
            ),
          );
        }
        for (const [j, other] of members.entries()) {
          const from = got.filter((line) => line.startsWith(`<${other.nick}> `));
          const want = j === i ? [] : [1, 2, 3].map((k) => `<${other.nick}> m${j}-${k}`);
          if (from.join('\n') !== want.join('\n')) {
            throw m.client.fail(
              `${m.nick} got from ${other.nick}: ${printable(from.join('\n'))}, expected ${printable(want.join('\n'))} (each sender's lines once, in its order, never your own). ${lesson.see('Broadcast')}`,
            );
          }
        }
      }),
    );
  });

  it('announces a leave by FIN or reset to its room, and goes on', async () => {
    const server = await startTarget();
    const [a, b, c, d] = (await joinMany(server, 4)) as [Member, Member, Member, Member];
    await move(b, '/join dev', 'dev', { name: 'lobby', members: [a, c, d] }, []);
    await move(c, '/join dev', 'dev', { name: 'lobby', members: [a, d] }, [b]);
    const section = 'Leaving: FIN, reset, or nothing at all';
    c.client.end(); // FIN
    await expectLine(
      b.client,
      `* ${c.nick} left #dev`,
      'A client that disconnects leaves its room: tell it `* NICK left #ROOM`',
      section,
    );
    d.client.socket.resetAndDestroy(); // RST
    await expectLine(
      a.client,
      `* ${d.nick} left #lobby`,
      "A reset is a leave too (handle 'error', announce on 'close')",
      section,
    );
    const e = await join(server, [a]); // the welcome must count 2 in #lobby: a and e
    await e.client.send('hi\n');
    await expectLine(
      a.client,
      `<${e.nick}> hi`,
      'After clients leave, the others keep chatting',
      section,
    );
    await sync(b, [], `${b.nick} is alone in #dev now`);
  });
});
