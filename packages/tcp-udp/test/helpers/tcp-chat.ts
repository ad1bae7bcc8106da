import { WireClient } from '@socketlab/testkit';
import { expect, onTestFinished } from 'vitest';
import { type LineChat, type LineChatOptions, listenLineChat } from '../../src/chat/server.ts';

/** A chat on 127.0.0.1, port 0, closed after the test. */
export async function startTestChat(options: LineChatOptions = {}): Promise<LineChat> {
  const chat = await listenLineChat({ closeTimeoutMs: 500, ...options });
  onTestFinished(() => chat.close());
  return chat;
}

/** Connects, reads the welcome line, and returns the client with its guest nick. */
export async function joinChat(chat: LineChat): Promise<{ client: WireClient; nick: string }> {
  const client = await WireClient.connect('127.0.0.1', chat.address.port);
  onTestFinished(() => client.close());
  const welcome = await client.readLine();
  const nick = /^\* welcome, you are (\S+) \(/.exec(welcome)?.[1];
  expect(nick, `welcome line ${JSON.stringify(welcome)}`).toBeDefined();
  return { client, nick: nick ?? '' };
}

/** Joins and takes a nickname; every other client given must see the rename. */
export async function joinAs(
  chat: LineChat,
  name: string,
  others: readonly WireClient[] = [],
): Promise<WireClient> {
  const { client, nick } = await joinChat(chat);
  for (const other of others) expect(await other.readLine()).toBe(`* ${nick} joined`);
  await client.send(`/nick ${name}\n`);
  expect(await client.readLine()).toBe(`* you are now ${name}`);
  for (const other of others) expect(await other.readLine()).toBe(`* ${nick} is now ${name}`);
  return client;
}
