import { describe, expect, it } from 'vitest';
import type { ChatUser } from '../../src/contract.ts';
import {
  createMemoryBackend,
  createMemoryHistory,
  createMemoryPresence,
} from '../../src/store/memory.ts';
import type { NewChatMessage } from '../../src/store/types.ts';

const ada: ChatUser = { id: 'guest:ada', nick: 'ada', via: 'web' };
const bob: ChatUser = { id: 'guest:bob', nick: 'bob', via: 'tcp' };

const message = (room: string, text: string): NewChatMessage => ({
  id: `${room}-${text}`,
  room,
  from: ada,
  kind: 'text',
  text,
  at: 1,
});

async function fill(history: ReturnType<typeof createMemoryHistory>, room: string, n: number) {
  for (let i = 1; i <= n; i++) await history.append(message(room, `m${i}`));
}

describe('the memory history', () => {
  it('numbers each room 1, 2, 3 … on its own', async () => {
    const history = createMemoryHistory();
    expect((await history.append(message('a', 'x'))).seq).toBe(1);
    expect((await history.append(message('b', 'x'))).seq).toBe(1);
    expect((await history.append(message('a', 'y'))).seq).toBe(2);
    expect(await history.lastSeq('a')).toBe(2);
    expect(await history.lastSeq('never')).toBe(0);
  });

  it('answers the newest `limit` messages, oldest first, and says when older ones exist', async () => {
    const history = createMemoryHistory();
    await fill(history, 'a', 10);
    const page = await history.read('a', { limit: 3 });
    expect(page.messages.map((m) => m.seq)).toEqual([8, 9, 10]);
    expect(page.truncated).toBe(true);
    expect((await history.read('a', { limit: 50 })).truncated).toBe(false);
    expect(await history.read('never', { limit: 5 })).toEqual({ messages: [], truncated: false });
  });

  it('answers the messages after a cursor (resume) and before one (older pages)', async () => {
    const history = createMemoryHistory();
    await fill(history, 'a', 10);
    expect((await history.read('a', { after: 7, limit: 50 })).messages.map((m) => m.seq)).toEqual([
      8, 9, 10,
    ]);
    const missedMany = await history.read('a', { after: 2, limit: 3 });
    expect(missedMany.messages.map((m) => m.seq)).toEqual([8, 9, 10]);
    expect(missedMany.truncated).toBe(true);
    expect(await history.read('a', { after: 10, limit: 50 })).toEqual({
      messages: [],
      truncated: false,
    });
    const older = await history.read('a', { before: 5, limit: 2 });
    expect(older.messages.map((m) => m.seq)).toEqual([3, 4]);
    expect(older.truncated).toBe(true);
  });

  it('keeps the last maxMessagesPerRoom of a room and says the rest are gone', async () => {
    const history = createMemoryHistory({ maxMessagesPerRoom: 5 });
    await fill(history, 'a', 12);
    const page = await history.read('a', { after: 0, limit: 50 });
    expect(page.messages.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(page.truncated).toBe(true);
    expect(await history.lastSeq('a')).toBe(12);
  });

  it('forgets the room written to least recently past maxRooms', async () => {
    const history = createMemoryHistory({ maxRooms: 2 });
    await history.append(message('a', 'x'));
    await history.append(message('b', 'x'));
    await history.append(message('a', 'y'));
    await history.append(message('c', 'x'));
    expect((await history.rooms()).sort()).toEqual(['a', 'c']);
    expect(await history.lastSeq('b')).toBe(0);
  });

  it('answers the newest, truncated, to a cursor past the end of a room (a forgotten room reborn)', async () => {
    const history = createMemoryHistory();
    await fill(history, 'a', 3);
    const page = await history.read('a', { after: 40, limit: 2 });
    expect(page.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(page.truncated).toBe(true);
  });

  it('refuses a limit that is not a whole number ≥ 1', () => {
    expect(() => createMemoryHistory({ maxRooms: 0 })).toThrow(RangeError);
    expect(() => createMemoryHistory({ maxMessagesPerRoom: 1.5 })).toThrow(TypeError);
    expect(() => createMemoryBackend({ maxRooms: -1 })).toThrow(RangeError);
  });
});

describe('the memory presence', () => {
  it('changes only on a user first and last connection in a room', async () => {
    const presence = createMemoryPresence();
    expect(await presence.join('a', ada, 'c1')).toEqual({ changed: true });
    expect(await presence.join('a', ada, 'c2')).toEqual({ changed: false });
    expect(await presence.join('a', bob, 'c3')).toEqual({ changed: true });
    expect(await presence.members('a')).toEqual([ada, bob]);
    expect(await presence.leave('a', ada, 'c1')).toEqual({ changed: false });
    expect(await presence.leave('a', ada, 'c1')).toEqual({ changed: false });
    expect(await presence.leave('a', ada, 'c2')).toEqual({ changed: true });
    expect(await presence.members('a')).toEqual([bob]);
    expect(await presence.occupied()).toEqual(new Map([['a', 1]]));
    await presence.leave('a', bob, 'c3');
    expect(await presence.occupied()).toEqual(new Map());
    expect(await presence.leave('nowhere', bob, 'c3')).toEqual({ changed: false });
  });
});

describe('the memory backend', () => {
  it('is named memory and closes its stores', async () => {
    const backend = createMemoryBackend();
    expect(backend.kind).toBe('memory');
    await backend.stores.history.append(message('a', 'x'));
    await backend.close();
    expect(await backend.stores.history.rooms()).toEqual([]);
  });
});
