import net from 'node:net';
import { pollUntil, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenLineChat } from '../../src/chat/server.ts';
import { joinAs, joinChat, startTestChat } from '../helpers/tcp-chat.ts';

describe('line chat on real sockets', () => {
  it('broadcasts a message to everyone else, with join and leave notices', async () => {
    const chat = await startTestChat();
    const alice = await joinAs(chat, 'alice');
    const bob = await joinAs(chat, 'bob', [alice]);
    const carol = await joinAs(chat, 'carol', [alice, bob]);
    await bob.send('hello, everyone\r\n'); // \r\n is tolerated
    expect(await alice.readLine()).toBe('<bob> hello, everyone');
    expect(await carol.readLine()).toBe('<bob> hello, everyone');
    await alice.send('hi b'); // a line split across writes
    await alice.send('ob\n');
    expect(await bob.readLine()).toBe('<alice> hi bob');
    expect(await carol.readLine()).toBe('<alice> hi bob');
    // bob got his own message back from nobody: his next line is alice's
    carol.close();
    expect(await alice.readLine()).toBe('* carol left');
    expect(await bob.readLine()).toBe('* carol left');
    await bob.send('/who\n');
    expect(await bob.readLine()).toBe('* online (2): alice, bob');
    expect(chat.nicks()).toEqual(['alice', 'bob']);
  });

  it('validates /nick: the pattern, uniqueness whatever the case, and the same name again', async () => {
    const chat = await startTestChat();
    const alice = await joinAs(chat, 'alice');
    const { client } = await joinChat(chat);
    await alice.readLine(); // joined
    await client.send('/nick ALICE\n/nick bad name\n/nick\n');
    expect(await client.readLine()).toBe('! nick ALICE is taken: choose another');
    expect(await client.readLine()).toMatch(/^! invalid nick "bad name": use 1 to 16/);
    expect(await client.readLine()).toMatch(/^! invalid nick "": /);
    await alice.send('/nick alice\n');
    expect(await alice.readLine()).toBe('* you are now alice');
    await client.send('/dance\n/help\n');
    expect(await client.readLine()).toBe('! unknown command /dance: type /help');
    expect(await client.readLine()).toMatch(/^\* \/nick NAME/);
  });

  it('says bye on /quit, closes that client, and tells the others', async () => {
    const chat = await startTestChat();
    const alice = await joinAs(chat, 'alice');
    const bob = await joinAs(chat, 'bob', [alice]);
    await bob.send('/quit\nthis is never sent\n');
    expect(await bob.readLine()).toBe('* bye');
    expect((await bob.readToEnd()).toString()).toBe('');
    expect(await alice.readLine()).toBe('* bob left');
    await alice.send('/who\n');
    expect(await alice.readLine()).toBe('* online (1): alice');
  });

  it('drops a never-ending line with an error while a good client chats on', async () => {
    const chat = await startTestChat({ maxLineBytes: 100 });
    const alice = await joinAs(chat, 'alice');
    const bob = await joinAs(chat, 'bob', [alice]);
    const { client: hostile, nick } = await joinChat(chat);
    expect(await alice.readLine()).toBe(`* ${nick} joined`);
    expect(await bob.readLine()).toBe(`* ${nick} joined`);
    // The hostile line grows in pieces, with good traffic in between.
    await hostile.send('x'.repeat(60));
    await alice.send('still here?\n');
    expect(await bob.readLine()).toBe('<alice> still here?');
    expect(await hostile.readLine()).toBe('<alice> still here?');
    await hostile.send('y'.repeat(60)); // now 120 bytes with no newline
    expect(await hostile.readLine()).toBe(
      '! line too long (over 100 bytes); closing your connection',
    );
    expect((await hostile.readToEnd()).toString()).toBe('');
    expect(await alice.readLine()).toBe(`* ${nick} left (line too long)`);
    expect(await bob.readLine()).toBe(`* ${nick} left (line too long)`);
    await bob.send('yes\n');
    expect(await alice.readLine()).toBe('<bob> yes');
    expect(chat.nicks()).toEqual(['alice', 'bob']);
  });

  it('answers garbage (invalid UTF-8, escapes) with an error line and keeps everyone', async () => {
    const chat = await startTestChat();
    const alice = await joinAs(chat, 'alice');
    const mallory = await joinAs(chat, 'mallory', [alice]);
    await mallory.send(Buffer.from([0xff, 0xfe, 0x41, 0x0a]));
    expect(await mallory.readLine()).toBe('! the line is not valid UTF-8; it was ignored');
    await mallory.send('\u001b[2Jcleared?\n');
    expect(await alice.readLine()).toBe('<mallory> \ufffd[2Jcleared?');
    await alice.send('ok\n');
    expect(await mallory.readLine()).toBe('<alice> ok');
  });

  it('keeps two good clients chatting in order while a third sends seeded random bytes', async () => {
    const seed = Number(process.env.CHAT_FUZZ_SEED ?? 0x5eed);
    let state = seed >>> 0 || 1;
    const nextByte = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state & 0xff;
    };
    const chat = await startTestChat({ maxLineBytes: 512 });
    const alice = await joinAs(chat, 'alice');
    const bob = await joinAs(chat, 'bob', [alice]);
    const { client: mallory } = await joinChat(chat);
    const garbage = (async () => {
      for (let i = 0; i < 100; i++) {
        const chunk = Buffer.from(Array.from({ length: 2048 }, nextByte));
        const sent = await mallory.send(chunk).then(
          () => true,
          () => false, // dropped for a line too long: its writes fail from then on
        );
        if (!sent) return;
      }
    })();
    const linesFrom = async (client: WireClient, prefix: string, count: number) => {
      const got: string[] = [];
      for (let i = 0; i < 10_000 && got.length < count; i++) {
        const line = await client.readLine();
        if (line.startsWith(prefix)) got.push(line.slice(prefix.length));
      }
      return got;
    };
    const bobHears = linesFrom(bob, '<alice> ', 20);
    const aliceHears = linesFrom(alice, '<bob> ', 20);
    for (let i = 0; i < 20; i++) {
      await alice.send(`message ${i} from alice\n`);
      await bob.send(`reply ${i} from bob\n`);
    }
    const context = `(seed ${seed}; replay with CHAT_FUZZ_SEED=${seed})`;
    expect(await bobHears, context).toEqual(
      Array.from({ length: 20 }, (_, i) => `message ${i} from alice`),
    );
    expect(await aliceHears, context).toEqual(
      Array.from({ length: 20 }, (_, i) => `reply ${i} from bob`),
    );
    await garbage;
    expect(chat.nicks().slice(0, 2), context).toEqual(['alice', 'bob']);
  });

  it('tells the others why a client left: a reset, an idle timeout', async () => {
    // 1 s, not less: carol must never pause that long between commands, even on a loaded machine.
    const chat = await startTestChat({ idleTimeoutMs: 1000 });
    const alice = await joinAs(chat, 'alice');
    const bob = await joinAs(chat, 'bob', [alice]);
    await bob.send('about to crash\n');
    expect(await alice.readLine()).toBe('<bob> about to crash'); // the server has read it all
    bob.socket.resetAndDestroy();
    expect(await alice.readLine()).toBe('* bob left (connection error)');
    // alice stays silent from now on; carol keeps her own connection busy with /who (a reply
    // goes to the asker only), so only alice's idle timer runs out.
    const { client: carol } = await joinChat(chat);
    expect(await alice.readLine()).toMatch(/^\* guest\d+ joined$/);
    // Bounded by time, and by a count that a fast machine cannot reach within the idle timeout.
    const deadline = Date.now() + 10_000;
    let notice: string | undefined;
    for (let i = 0; i < 1_000_000 && notice === undefined && Date.now() < deadline; i++) {
      await carol.send('/who\n');
      const line = await carol.readLine();
      if (line.startsWith('* alice left')) notice = line;
      else expect(line).toMatch(/^\* online \(\d\): /);
    }
    expect(notice).toBe('* alice left (connection timeout)');
  });

  it('tells the client over maxConnections that the room is full, and lets one in later', async () => {
    const chat = await startTestChat({ maxConnections: 2 });
    const alice = await joinAs(chat, 'alice');
    const bob = await joinAs(chat, 'bob', [alice]);
    const third = await WireClient.connect('127.0.0.1', chat.address.port);
    onTestFinished(() => third.close());
    expect(await third.readLine()).toBe('! the chat is full (2 people); try again later');
    expect((await third.readToEnd()).toString()).toBe('');
    bob.close();
    expect(await alice.readLine()).toBe('* bob left');
    await pollUntil(() => chat.nicks().length === 1, 'bob to be gone');
    const { nick } = await joinChat(chat);
    expect(await alice.readLine()).toBe(`* ${nick} joined`);
  });

  it('drops a client that stops reading once its output passes maxBufferedBytes', async () => {
    const chat = await startTestChat({ maxBufferedBytes: 256 * 1024, maxLineBytes: 1024 });
    const alice = await joinAs(chat, 'alice');
    const { client: reader } = await joinChat(chat);
    await alice.readLine(); // joined
    // A raw socket that never reads: the kernel buffers fill, then the server's own buffer does.
    const sleeper = net.connect({ host: '127.0.0.1', port: chat.address.port });
    onTestFinished(() => void sleeper.destroy());
    sleeper.pause();
    sleeper.on('error', () => undefined);
    expect(await alice.readLine()).toMatch(/^\* guest\d+ joined$/);
    const joined = chat.nicks().at(-1);
    expect(joined).toMatch(/^guest\d+$/);
    // The reader drains everything as it comes, counting, and looks for the drop notice.
    let received = 0;
    let tail = '';
    reader.socket.removeAllListeners('data');
    let wake = (): void => undefined;
    let dropped = false;
    reader.socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      const text = tail + chunk.toString('latin1');
      dropped ||= text.includes(`* ${joined} left (dropped: not reading`);
      tail = text.slice(-300);
      wake();
    });
    const isDropped = (): boolean => dropped;
    // Alice sends 100 KB at a time and waits until the reader has it all: the reader keeps up, so
    // only the sleeper's output piles up (first in the kernel's buffers, then in the server's).
    const batch = `${'z'.repeat(999)}\n`.repeat(100);
    const perBatch = Buffer.byteLength(`<alice> ${'z'.repeat(999)}\n`) * 100;
    let expected = 0;
    for (let i = 0; i < 400 && !isDropped(); i++) {
      await alice.send(batch);
      expected += perBatch;
      await withTimeout(
        new Promise<void>((resolve) => {
          wake = () => {
            if (received >= expected) resolve();
          };
          wake();
        }),
        `the reader to receive batch ${i} (it got ${received} of ${expected} bytes)`,
      );
    }
    await pollUntil(isDropped, `the drop notice (the reader got ${received} bytes)`);
    expect(chat.nicks()).not.toContain(joined);
    // Everything alice sent reached the reader, which was never dropped: it kept reading.
    expect(await alice.readLine()).toBe(
      `* ${joined} left (dropped: not reading (over ${256 * 1024} bytes waiting))`,
    );
    await alice.send('/who\n');
    expect(await alice.readLine()).toMatch(/^\* online \(2\): alice, guest\d+$/);
  }, 30_000);

  it('rejects bad options synchronously', () => {
    expect(() => listenLineChat({ maxConnections: 0 })).toThrow(RangeError);
    expect(() => listenLineChat({ maxLineBytes: 1.5 })).toThrow(TypeError);
    expect(() => listenLineChat({ maxBufferedBytes: -1 })).toThrow(RangeError);
    expect(() => listenLineChat({ closeTimeoutMs: 0 })).toThrow(RangeError);
  });
});
