/** What the hostile-peer tests share: a room chat that is closed when the test ends, and members. */
import { WireClient } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { listenRoomChat, type RoomChat, type RoomChatOptions } from '../../src/chat/index.ts';

/** Starts a room chat on 127.0.0.1, port 0; closed (cut after 200 ms) when the test ends. */
export async function startChat(options: RoomChatOptions = {}): Promise<RoomChat> {
  const chat = await listenRoomChat({
    host: '127.0.0.1',
    port: 0,
    closeTimeoutMs: 200,
    ...options,
  });
  onTestFinished(async () => {
    await chat.close();
  });
  return chat;
}

/** A well-behaved member: connected, welcome read, closed when the test ends. */
export interface Member {
  readonly client: WireClient;
  readonly nick: string;
}

/** Connects to `port` (a chat or a proxy in front of it) and reads the welcome line. */
export async function join(port: number): Promise<Member> {
  const client = await WireClient.connect('127.0.0.1', port);
  onTestFinished(() => client.close());
  const welcome = await client.readLine(10_000);
  const nick = /^\* welcome, you are (\S+), in #lobby/.exec(welcome)?.[1];
  if (nick === undefined) throw client.fail(`expected a welcome line, got ${welcome}`);
  return { client, nick };
}
