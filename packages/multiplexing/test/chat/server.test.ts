import { ManualClock, pollUntil, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenRoomChat, type RoomChat, type RoomChatOptions } from '../../src/chat/index.ts';
import { recordingClient, stalledClient } from '../helpers/clients.ts';

async function startChat(options: RoomChatOptions = {}): Promise<RoomChat> {
  const chat = await listenRoomChat({ host: '127.0.0.1', port: 0, ...options });
  onTestFinished(async () => {
    await chat.close();
  });
  return chat;
}

/** Connects, reads the welcome line and returns the client with its nick. */
async function join(chat: RoomChat): Promise<{ client: WireClient; nick: string }> {
  const client = await WireClient.connect('127.0.0.1', chat.address.port);
  onTestFinished(() => client.close());
  const welcome = await client.readLine();
  const nick = /^\* welcome, you are (\S+), in #lobby/.exec(welcome)?.[1];
  if (nick === undefined) throw client.fail(`expected a welcome line, got ${welcome}`);
  return { client, nick };
}

describe('listenRoomChat', () => {
  it.each([
    [{ maxLineBytes: 0 }, RangeError, 'maxLineBytes must be an integer from 1 to 1048576, got 0'],
    [{ maxMessagesPerSecond: Number.NaN }, TypeError, 'maxMessagesPerSecond must be a number'],
    [{ maxMessageBurst: 1.5 }, TypeError, 'maxMessageBurst must be an integer'],
    [{ maxFloodLines: -1 }, RangeError, 'maxFloodLines must be an integer from 0'],
    [{ maxBufferedBytes: 0 }, RangeError, 'maxBufferedBytes must be an integer'],
    [{ port: 70_000 }, RangeError, 'port must be an integer from 0 to 65535'],
  ])('refuses %j synchronously', (options, kind, message) => {
    expect(() => listenRoomChat(options)).toThrow(kind);
    expect(() => listenRoomChat(options)).toThrow(message);
  });

  it('puts everyone in #lobby: they see each other’s lines and the join and leave notices', async () => {
    const chat = await startChat();
    const a = await join(chat);
    const b = await join(chat);
    expect(await a.client.readLine()).toBe(`* ${b.nick} joined #lobby`);
    await b.client.send('hello there\r\n');
    expect(await a.client.readLine()).toBe(`<${b.nick}> hello there`);
    await a.client.send('hi\n');
    expect(await b.client.readLine()).toBe(`<${a.nick}> hi`);
    await b.client.send('/quit\n');
    expect(await b.client.readLine()).toBe('* bye');
    expect(await a.client.readLine()).toBe(`* ${b.nick} left #lobby`);
    await b.client.readToEnd();
    expect(chat.rooms()).toEqual({ lobby: [a.nick] });
  });

  it('moves a client with /join and back with /leave; messages stay in their room', async () => {
    const chat = await startChat();
    const a = await join(chat);
    const b = await join(chat);
    const c = await join(chat);
    expect(await b.client.readLine()).toBe(`* ${c.nick} joined #lobby`);
    await c.client.send('/join #dev\n');
    expect(await c.client.readLine()).toBe(`* you are in #dev (1 here): ${c.nick}`);
    await b.client.send('/join dev\n');
    expect(await b.client.readLine()).toBe(`* ${c.nick} left #lobby (to #dev)`);
    expect(await b.client.readLine()).toBe(`* you are in #dev (2 here): ${c.nick}, ${b.nick}`);
    expect(await c.client.readLine()).toBe(`* ${b.nick} joined #dev`);
    const aSaw = [await a.client.readLine(), await a.client.readLine(), await a.client.readLine()];
    expect(aSaw).toEqual([
      `* ${b.nick} joined #lobby`,
      `* ${c.nick} joined #lobby`,
      `* ${c.nick} left #lobby (to #dev)`,
    ]);
    expect(await a.client.readLine()).toBe(`* ${b.nick} left #lobby (to #dev)`);
    expect(chat.rooms()).toEqual({ lobby: [a.nick], dev: [c.nick, b.nick] });

    await a.client.send('lobby only\n/who\n');
    expect(await a.client.readLine()).toBe(`* in #lobby (1): ${a.nick}`); // not its own line
    await c.client.send('dev only\n');
    expect(await b.client.readLine()).toBe(`<${c.nick}> dev only`); // not 'lobby only'
    await b.client.send('/leave\n');
    expect(await b.client.readLine()).toBe(`* you are in #lobby (2 here): ${a.nick}, ${b.nick}`);
    expect(await a.client.readLine()).toBe(`* ${b.nick} joined #lobby`); // not 'dev only'
    expect(await c.client.readLine()).toBe(`* ${b.nick} left #dev (to #lobby)`);
    expect(chat.rooms()).toEqual({ lobby: [a.nick, b.nick], dev: [c.nick] });

    await a.client.send('/join bad room\n/leave\n/join lobby\n');
    expect(await a.client.readLine()).toBe(
      '! invalid room "bad room": use 1 to 32 letters, digits, _ or -',
    );
    expect(await a.client.readLine()).toBe('! you are in #lobby already');
    expect(await a.client.readLine()).toBe('! you are already in #lobby');
  });

  it('sends /me as an action to the whole room, the sender included', async () => {
    const chat = await startChat();
    const a = await join(chat);
    const b = await join(chat);
    await a.client.readLine(); // b joined
    await a.client.send('/me waves\n/me\n');
    expect(await a.client.readLine()).toBe(`* ${a.nick} waves`);
    expect(await a.client.readLine()).toBe('! /me needs some text: /me waves');
    expect(await b.client.readLine()).toBe(`* ${a.nick} waves`);
  });

  it('delivers a last line without a newline when the client ends its stream (nc -N)', async () => {
    const chat = await startChat();
    const a = await join(chat);
    const b = await join(chat);
    await a.client.readLine(); // b joined
    await b.client.send('first\nlast words');
    b.client.end();
    expect(await a.client.readLine()).toBe(`<${b.nick}> first`);
    expect(await a.client.readLine()).toBe(`<${b.nick}> last words`);
    expect(await a.client.readLine()).toBe(`* ${b.nick} left #lobby`);
  });

  it('follows stage 2’s nick rules: pattern, and unique across rooms whatever the case', async () => {
    const chat = await startChat();
    const a = await join(chat);
    const b = await join(chat);
    await a.client.readLine(); // b joined
    await b.client.send('/join dev\n');
    await b.client.readLine();
    await a.client.readLine(); // b left
    await a.client.send('/nick alice\n');
    expect(await a.client.readLine()).toBe('* you are now alice');
    await b.client.send('/nick ALICE\n/nick not ok!\n/nick bob\n');
    expect(await b.client.readLine()).toBe('! nick ALICE is taken: choose another');
    expect(await b.client.readLine()).toMatch(/^! invalid nick "not ok!": use 1 to 16 letters/);
    expect(await b.client.readLine()).toBe('* you are now bob');
    await b.client.send('/leave\nhi alice\n');
    await b.client.readLine(); // you are in #lobby
    expect(await a.client.readLine()).toBe('* bob joined #lobby');
    expect(await a.client.readLine()).toBe('<bob> hi alice');
  });

  it('frees a nick when its owner renames or leaves, and never hands a taken guestN out', async () => {
    const chat = await startChat();
    const a = await join(chat);
    const b = await join(chat);
    await a.client.readLine(); // b joined
    await a.client.send('/nick Alice\n');
    expect(await a.client.readLine()).toBe('* you are now Alice');
    await b.client.readLine(); // Alice renamed
    await a.client.send('/nick carol\n');
    expect(await a.client.readLine()).toBe('* you are now carol');
    await b.client.readLine();
    await b.client.send('/nick alice\n');
    expect(await b.client.readLine(), 'the old nick is free after a rename').toBe(
      '* you are now alice',
    );
    // The next guest number is taken by a member who chose it: the newcomer gets the one after.
    await a.client.readLine(); // b renamed
    const next = Number(b.nick.replace('guest', '')) + 1;
    await a.client.send(`/nick guest${next}\n`);
    expect(await a.client.readLine()).toBe(`* you are now guest${next}`);
    const c = await join(chat);
    expect(c.nick).toBe(`guest${next + 1}`);
    a.client.end();
    await pollUntil(
      () => !Object.values(chat.rooms()).flat().includes(`guest${next}`),
      'a to leave',
    );
    expect(await c.client.readLine()).toBe(`* guest${next} left #lobby`);
    await c.client.send(`/nick GUEST${next}\n`);
    expect(await c.client.readLine(), 'a nick is free once its owner left').toBe(
      `* you are now GUEST${next}`,
    );
  });

  it('keeps a client that never reads from stopping the others, its queued bytes bounded (drop-oldest)', async () => {
    const maxBufferedBytes = 64 * 1024;
    const chat = await startChat({
      maxBufferedBytes,
      maxLineBytes: 16 * 1024,
      maxMessagesPerSecond: 1_000_000,
      maxMessageBurst: 1_000_000,
    });
    const stalled = await stalledClient(chat.address.port);
    const reader = await recordingClient(chat.address.port);
    const sender = await join(chat);
    await pollUntil(() => chat.manager.size === 3, 'three members', { ms: 10_000 });
    const stalledMember = [...chat.manager.connections][0];
    expect(stalledMember?.peerName).toBe(`127.0.0.1:${stalled.localPort}`);
    let maxHeld = 0;
    await pollUntil(() => reader.text().split('\n').length === 3, 'the welcome and join lines', {
      ms: 10_000,
    });
    let readerLines = 2; // its welcome, the sender's join notice, then the sender's lines
    reader.socket.on('data', (chunk: Buffer) => {
      maxHeld = Math.max(maxHeld, stalledMember?.bufferedBytes ?? 0);
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) readerLines++;
    });
    // 2,000 lines of 8 KiB: 16 MiB, far more than the kernel's buffers hold for the stalled one.
    // Ten lines at a time, each batch awaited at the reader, so the reader itself is never
    // behind by more than its own high-water mark, however busy the machine.
    const lines = 2_000;
    const pad = 'x'.repeat(8 * 1024);
    for (let i = 0; i < lines; i += 10) {
      let batch = '';
      for (let j = i; j < i + 10; j++) batch += `${j} ${pad}\n`;
      await sender.client.send(batch);
      await pollUntil(() => readerLines >= 2 + i + 10, `line ${i + 9} at the reader`, {
        ms: 20_000,
        intervalMs: 1,
        maxTries: 20_000,
      });
    }
    const received = reader
      .text()
      .split('\n')
      .filter((l) => l.startsWith(`<${sender.nick}> `));
    expect(received).toHaveLength(lines);
    expect(stalledMember?.droppedMessages).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(maxBufferedBytes);
    expect(stalledMember?.bufferedBytes).toBeLessThanOrEqual(maxBufferedBytes);
    expect(stalledMember?.state).toBe('open');
  }, 60_000);

  it('disconnects a client that never reads under the disconnect policy; the room is told', async () => {
    const chat = await startChat({
      maxBufferedBytes: 32 * 1024,
      slowConsumerPolicy: 'disconnect',
      closeTimeoutMs: 200, // the stalled client's close is cut: it never reads our FIN
      maxLineBytes: 16 * 1024,
      maxMessagesPerSecond: 1_000_000,
      maxMessageBurst: 1_000_000,
    });
    await stalledClient(chat.address.port);
    const sender = await join(chat);
    await pollUntil(() => chat.manager.size === 2, 'two members', { ms: 10_000 });
    const [stalledMember] = chat.manager.connections;
    const closed = new Promise((resolve) => stalledMember?.once('close', resolve));
    const pad = 'x'.repeat(8 * 1024);
    // Batches of 160 KiB, each followed by /who, whose answer says the server has fanned the
    // batch out; until the server gives up on the stalled client (bounded: 40 batches).
    let line = '';
    for (let i = 0; i < 40 && !line.startsWith('* guest1 left'); i++) {
      await sender.client.send(`${`${i} ${pad}\n`.repeat(20)}/who\n`);
      line = await sender.client.readLine(20_000);
    }
    expect(await withTimeout(closed, 'the slow consumer to be closed', 20_000)).toBe(
      'slow-consumer',
    );
    expect(line).toBe('* guest1 left #lobby (slow-consumer)');
  }, 60_000);

  it('tells a flooder, drops its lines over the rate, then disconnects it; others carry on', async () => {
    const clock = new ManualClock(); // frozen: the bucket never refills
    const chat = await startChat({
      clock,
      maxMessagesPerSecond: 1,
      maxMessageBurst: 3,
      maxFloodLines: 5,
    });
    const other = await join(chat);
    const flooder = await join(chat);
    expect(await other.client.readLine()).toBe(`* ${flooder.nick} joined #lobby`);
    let flood = '';
    for (let i = 0; i < 50; i++) flood += `spam ${i}\n`;
    await flooder.client.send(flood);
    const told = (await flooder.client.readToEnd()).toString('utf8');
    expect(told).toBe(
      '! too fast: over 1 lines per second (burst 3); lines are dropped, and after 5 more you are disconnected\n' +
        '! MULTIPLEXING_ERR_LIMIT_EXCEEDED more than 5 lines over 1 per second (maxFloodLines); closing your connection\n',
    );
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await other.client.readLine());
    expect(seen).toEqual([
      `<${flooder.nick}> spam 0`,
      `<${flooder.nick}> spam 1`,
      `<${flooder.nick}> spam 2`,
      `* ${flooder.nick} left #lobby (flooding)`,
    ]);
    const third = await join(chat);
    await other.client.readLine(); // third joined
    await third.client.send('still here?\n');
    expect(await other.client.readLine()).toBe(`<${third.nick}> still here?`);
  });

  it('limits a flood of joins and leaves like any other lines: the lobby hears a bounded number of notices', async () => {
    const clock = new ManualClock(); // frozen: the bucket never refills
    const chat = await startChat({ clock }); // the defaults: burst 20, 20 lines over the rate
    const other = await join(chat);
    const flooder = await join(chat);
    expect(await other.client.readLine()).toBe(`* ${flooder.nick} joined #lobby`);
    await flooder.client.send('/join a\n/leave\n'.repeat(1_000));
    await flooder.client.readToEnd();
    const heard: string[] = [];
    for (let i = 0; i < 100; i++) {
      const line = await other.client.readLine();
      heard.push(line);
      if (line.startsWith(`* ${flooder.nick} left #lobby (flooding)`)) break;
    }
    // 20 lines within the burst: 10 /join a (a left notice each) and 10 /leave (a joined each).
    expect(heard).toHaveLength(21);
    expect(heard.filter((l) => l === `* ${flooder.nick} left #lobby (to #a)`)).toHaveLength(10);
    expect(heard.filter((l) => l === `* ${flooder.nick} joined #lobby`)).toHaveLength(10);
    expect(chat.rooms()).toEqual({ lobby: [other.nick] });
    // The others are unaffected: a newcomer and the one who sat through it chat as before.
    const third = await join(chat);
    expect(await other.client.readLine()).toBe(`* ${third.nick} joined #lobby`);
    await other.client.send('that was loud\n');
    expect(await third.client.readLine()).toBe(`<${other.nick}> that was loud`);
  });

  it('answers a line over maxLineBytes with an error and a close, before it ends; others unaffected', async () => {
    const chat = await startChat({ maxLineBytes: 1024 });
    const other = await join(chat);
    const hostile = await join(chat);
    await other.client.readLine(); // hostile joined
    hostile.client.socket.on('error', () => {}); // the server may reset once it closed
    hostile.client.socket.write(Buffer.alloc(1024 * 1024, 0x61)); // 1 MiB, no newline
    const told = (await hostile.client.readToEnd(20_000)).toString('utf8');
    expect(told).toBe(
      '! MULTIPLEXING_ERR_LIMIT_EXCEEDED line too long (over 1024 bytes, maxLineBytes); closing your connection\n',
    );
    expect(await other.client.readLine()).toBe(`* ${hostile.nick} left #lobby (line too long)`);
    const third = await join(chat);
    await third.client.send('fine\n');
    expect(await other.client.readLine()).toBe(`* ${third.nick} joined #lobby`);
    expect(await other.client.readLine()).toBe(`<${third.nick}> fine`);
  });

  it('tells every client on shutdown, drains them and stops listening', async () => {
    const chat = await listenRoomChat();
    const clients = [await join(chat), await join(chat), await join(chat)];
    await clients[2]?.client.send('/join dev\n');
    await clients[2]?.client.readLine();
    const report = await withTimeout(chat.close(), 'the shutdown', 10_000);
    expect(report.drained.map((e) => e.metadata.nick).sort()).toEqual(
      clients.map((c) => c.nick).sort(),
    );
    expect(report.cut).toEqual([]);
    for (const { client } of clients) {
      const rest = (await client.readToEnd()).toString('utf8').trimEnd().split('\n');
      expect(rest.at(-1)).toBe(
        '! MULTIPLEXING_ERR_SHUTDOWN the chat server is shutting down; reconnect later',
      );
    }
    await expect(WireClient.connect('127.0.0.1', chat.address.port, 5_000)).rejects.toThrow(
      /could not connect/,
    );
  });
});
