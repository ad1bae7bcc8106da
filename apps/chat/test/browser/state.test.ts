// The page's pure logic, without a DOM: merging messages by seq, unread counts, resume requests,
// presence and typing, the typing throttle, and the words shown for refusals.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatUser, Joined } from '../../src/contract.ts';
import { describeRefusal, parseComposed } from '../../web/src/notices.ts';
import {
  applyHistory,
  applyJoined,
  applyLeft,
  applyMessage,
  applyPresence,
  applyRooms,
  applyTyping,
  createChatState,
  hasOlder,
  mergeMessages,
  olderRequest,
  resumeRequests,
  roomListEntries,
  setActive,
  TYPING_SHOWN_MS,
  totalUnread,
  typingLine,
  typingNicks,
  unreadCount,
} from '../../web/src/state.ts';
import { createTypingThrottle } from '../../web/src/typing.ts';

const ann: ChatUser = { id: 'guest:a', nick: 'ann', via: 'web' };
const bob: ChatUser = { id: 'guest:b', nick: 'bob', via: 'tcp' };

function msg(room: string, seq: number, from: ChatUser = bob, text = `m${seq}`): ChatMessage {
  return { id: `${room}-${seq}`, room, seq, from, kind: 'text', text, at: 1_700_000_000_000 + seq };
}

function joined(
  room: string,
  seqs: number[],
  members: ChatUser[] = [ann],
  truncated = false,
): Joined {
  return { room, members, messages: seqs.map((s) => msg(room, s)), truncated };
}

const seqsOf = (messages: readonly ChatMessage[]) => messages.map((m) => m.seq);

describe('mergeMessages', () => {
  it('appends newer messages and reports them as added', () => {
    const { messages, added } = mergeMessages([msg('r', 1), msg('r', 2)], [msg('r', 3)]);
    expect(seqsOf(messages)).toEqual([1, 2, 3]);
    expect(seqsOf(added)).toEqual([3]);
  });

  it('drops messages it already has and sorts the rest into seq order', () => {
    const existing = [msg('r', 1), msg('r', 2), msg('r', 5)];
    const { messages, added } = mergeMessages(existing, [
      msg('r', 5),
      msg('r', 4),
      msg('r', 2),
      msg('r', 3),
      msg('r', 4),
    ]);
    expect(seqsOf(messages)).toEqual([1, 2, 3, 4, 5]);
    expect(seqsOf(added)).toEqual([3, 4]);
  });

  it('keeps the newest max messages', () => {
    const { messages } = mergeMessages([msg('r', 1), msg('r', 2)], [msg('r', 3), msg('r', 4)], 3);
    expect(seqsOf(messages)).toEqual([2, 3, 4]);
  });

  it('leaves the list as it was when nothing is new', () => {
    const existing = [msg('r', 1)];
    const { messages, added } = mergeMessages(existing, [msg('r', 1)]);
    expect(seqsOf(messages)).toEqual([1]);
    expect(added).toEqual([]);
  });
});

describe('the chat state', () => {
  it('counts a first join’s history as read and what arrives after in another room as unread', () => {
    const state = createChatState();
    state.me = ann;
    applyJoined(state, joined('lobby', [1, 2, 3]));
    applyJoined(state, joined('dev', [1]));
    expect(state.active).toBe('lobby');
    expect(unreadCount(state, 'dev')).toBe(0);
    expect(applyMessage(state, msg('dev', 2))).toBe(true);
    expect(applyMessage(state, msg('dev', 3))).toBe(true);
    expect(applyMessage(state, msg('lobby', 4))).toBe(true);
    expect(unreadCount(state, 'dev')).toBe(2);
    expect(unreadCount(state, 'lobby')).toBe(0);
    expect(totalUnread(state)).toBe(2);
    setActive(state, 'dev');
    expect(unreadCount(state, 'dev')).toBe(0);
    applyMessage(state, msg('lobby', 5));
    expect(unreadCount(state, 'lobby')).toBe(1);
  });

  it('ignores a live message it already has, and one for a room it is not in', () => {
    const state = createChatState();
    applyJoined(state, joined('lobby', [1, 2]));
    expect(applyMessage(state, msg('lobby', 2))).toBe(false);
    expect(applyMessage(state, msg('elsewhere', 1))).toBe(false);
    expect(seqsOf(state.joined.get('lobby')?.messages ?? [])).toEqual([1, 2]);
  });

  it('resumes every room after its last seq and fills the gap in order without duplicates', () => {
    const state = createChatState();
    applyJoined(state, joined('lobby', [1, 2]));
    applyJoined(state, joined('empty', []));
    expect(resumeRequests(state)).toEqual({
      requests: [{ room: 'lobby', after: 2 }, { room: 'empty' }],
      restarted: [],
    });
    // A live message raced the resume's answer, which holds it too.
    applyMessage(state, msg('lobby', 4));
    applyJoined(state, joined('lobby', [3, 4, 5], [ann, bob]));
    expect(seqsOf(state.joined.get('lobby')?.messages ?? [])).toEqual([1, 2, 3, 4, 5]);
    expect(state.joined.get('lobby')?.members.size).toBe(2);
  });

  it('joins afresh a room whose history started over on a restarted server', () => {
    const state = createChatState();
    applyJoined(state, joined('lobby', [1, 2, 3]));
    applyJoined(state, joined('dev', [1]));
    const listed = [
      { name: 'lobby', members: 1, lastSeq: 1 },
      { name: 'dev', members: 1, lastSeq: 4 },
    ];
    expect(resumeRequests(state, listed)).toEqual({
      requests: [{ room: 'lobby' }, { room: 'dev', after: 1 }],
      restarted: ['lobby'],
    });
    // Its new history replaces the old, whose numbers it reuses.
    applyJoined(state, {
      room: 'lobby',
      members: [ann],
      messages: [msg('lobby', 1, ann, 'new')],
      truncated: false,
    });
    expect(state.joined.get('lobby')?.messages.map((m) => m.text)).toEqual(['new']);
    expect(unreadCount(state, 'lobby')).toBe(0);
  });

  it('starts a room over from a truncated resume, then fills in older messages backwards', () => {
    const state = createChatState();
    applyJoined(state, joined('lobby', [1]));
    const room = state.joined.get('lobby');
    if (room === undefined) throw new Error('not joined');
    expect(hasOlder(room)).toBe(false);
    applyJoined(state, joined('lobby', [60, 61], [ann], true));
    // No hole between 1 and 60: the list is the newest messages, and older ones come on request.
    expect(seqsOf(room.messages)).toEqual([60, 61]);
    expect(room.truncated).toBe(true);
    expect(hasOlder(room)).toBe(true);
    expect(olderRequest(room, 2)).toEqual({ room: 'lobby', before: 60, limit: 2 });
    expect(seqsOf(applyHistory(state, 'lobby', [msg('lobby', 58), msg('lobby', 59)]))).toEqual([
      58, 59,
    ]);
    expect(seqsOf(room.messages)).toEqual([58, 59, 60, 61]);
    expect(applyHistory(state, 'lobby', [])).toEqual([]);
    expect(hasOlder(room)).toBe(false);
  });

  it('clears the truncated note once the history reaches the first message', () => {
    const state = createChatState();
    applyJoined(state, joined('lobby', [3, 4], [ann]));
    applyJoined(state, joined('lobby', [9], [ann], true));
    applyHistory(
      state,
      'lobby',
      [1, 2, 3, 4, 5, 6, 7, 8].map((seq) => msg('lobby', seq)),
    );
    expect(state.joined.get('lobby')?.truncated).toBe(false);
    expect(seqsOf(state.joined.get('lobby')?.messages ?? [])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('lists rooms with the lobby first, member counts and unread counts', () => {
    const state = createChatState();
    applyRooms(state, [
      { name: 'zeta', members: 3, lastSeq: 9 },
      { name: 'lobby', members: 2, lastSeq: 1 },
      { name: 'alpha', members: 1, lastSeq: 0 },
    ]);
    applyJoined(state, joined('lobby', [1], [ann, bob]));
    applyJoined(state, joined('alpha', [], [ann]));
    applyMessage(state, msg('alpha', 1));
    expect(roomListEntries(state)).toEqual([
      { name: 'lobby', members: 2, unread: 0, joined: true, active: true },
      { name: 'alpha', members: 1, unread: 1, joined: true, active: false },
      { name: 'zeta', members: 3, unread: 0, joined: false, active: false },
    ]);
  });

  it('returns to the lobby when the shown room is left', () => {
    const state = createChatState();
    applyJoined(state, joined('lobby', []));
    applyJoined(state, joined('dev', []));
    setActive(state, 'dev');
    applyLeft(state, 'dev');
    expect(state.active).toBe('lobby');
    expect(state.joined.has('dev')).toBe(false);
  });

  it('tracks presence and typing, never showing the page’s own typing', () => {
    const state = createChatState();
    state.me = ann;
    applyJoined(state, joined('lobby', [], [ann]));
    applyPresence(state, { room: 'lobby', user: bob, present: true });
    expect([...(state.joined.get('lobby')?.members.keys() ?? [])]).toEqual([ann.id, bob.id]);
    applyTyping(state, { room: 'lobby', user: bob, typing: true }, 1000);
    applyTyping(state, { room: 'lobby', user: ann, typing: true }, 1000);
    expect(typingNicks(state, 'lobby', 1001)).toEqual(['bob']);
    expect(typingNicks(state, 'lobby', 1000 + TYPING_SHOWN_MS)).toEqual([]);
    // A message from bob ends his typing; leaving does too.
    applyMessage(state, msg('lobby', 1, bob));
    expect(typingNicks(state, 'lobby', 1001)).toEqual([]);
    applyTyping(state, { room: 'lobby', user: bob, typing: true }, 1000);
    applyPresence(state, { room: 'lobby', user: bob, present: false });
    expect(typingNicks(state, 'lobby', 1001)).toEqual([]);
    expect(state.joined.get('lobby')?.members.has(bob.id)).toBe(false);
  });

  it.each([
    [[], ''],
    [['ann'], 'ann is typing…'],
    [['ann', 'bob'], 'ann and bob are typing…'],
    [['ann', 'bob', 'cy'], '3 people are typing…'],
  ])('says who is typing: %j', (nicks, line) => {
    expect(typingLine(nicks)).toBe(line);
  });
});

describe('the typing throttle', () => {
  it('emits typing once, repeats it after the interval, and stops once', () => {
    const throttle = createTypingThrottle(3000, 1000);
    expect(throttle.input('lobby', 0)).toEqual({ room: 'lobby', typing: true });
    expect(throttle.input('lobby', 1000)).toBeUndefined();
    expect(throttle.input('lobby', 2999)).toBeUndefined();
    expect(throttle.input('lobby', 3000)).toEqual({ room: 'lobby', typing: true });
    expect(throttle.stop()).toEqual({ room: 'lobby', typing: false });
    expect(throttle.stop()).toBeUndefined();
    expect(throttle.input('lobby', 4000)).toEqual({ room: 'lobby', typing: true });
  });

  it('waits for a later key when a start would come within a second of the last (the server ignores those)', () => {
    const throttle = createTypingThrottle(3000, 1000);
    expect(throttle.input('lobby', 0)).toBeDefined();
    expect(throttle.stop()).toEqual({ room: 'lobby', typing: false });
    expect(throttle.input('lobby', 500)).toBeUndefined();
    expect(throttle.stop()).toBeUndefined();
    expect(throttle.input('lobby', 999)).toBeUndefined();
    expect(throttle.input('lobby', 1000)).toEqual({ room: 'lobby', typing: true });
  });

  it('emits at once for another room', () => {
    const throttle = createTypingThrottle(3000, 1000);
    throttle.input('lobby', 0);
    expect(throttle.input('dev', 10)).toEqual({ room: 'dev', typing: true });
    expect(throttle.stop()).toEqual({ room: 'dev', typing: false });
  });
});

describe('what the page says', () => {
  it('names the refusal and keeps the server’s reason', () => {
    expect(describeRefusal('REALTIME_ERR_RATE_LIMITED', 'too many messages')).toBe(
      'Slow down: too many messages',
    );
    expect(describeRefusal('REALTIME_ERR_AUTH', 'the token has expired')).toMatch(
      /sign in again.*expired/,
    );
    expect(describeRefusal('CHAT_ERR_SHUTDOWN', 'restarting')).toBe(
      'The server is shutting down: restarting',
    );
    // Said once when the reason already says it.
    expect(describeRefusal('CHAT_ERR_SHUTDOWN', 'the server is shutting down: back soon')).toBe(
      'The server is shutting down: back soon',
    );
  });

  it.each([
    ['hello', { text: 'hello', kind: 'text' }],
    ['  /me waves  ', { text: 'waves', kind: 'action' }],
    ['/me', { text: '/me', kind: 'text' }],
    ['   ', undefined],
  ])('reads %j from the message box', (input, parsed) => {
    expect(parseComposed(input)).toEqual(parsed);
  });
});
