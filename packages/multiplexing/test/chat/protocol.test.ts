import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../src/chat/flood.ts';
import { checkChatRoom, parseRoomChatInput } from '../../src/chat/protocol.ts';

describe('parseRoomChatInput', () => {
  it.each([
    ['/join dev', { kind: 'join', room: 'dev' }],
    ['/JOIN #dev  ', { kind: 'join', room: 'dev' }],
    ['/join', { kind: 'join', room: '' }],
    ['/leave', { kind: 'leave' }],
    ['/pong', { kind: 'pong' }],
    ['/PONG 1733300000', { kind: 'pong' }],
    ['/pongs', { kind: 'unknown-command', command: '/pongs' }],
    ['/me waves  at  you', { kind: 'me', text: 'waves  at  you' }],
    ['/me', { kind: 'me', text: '' }],
    ['/meet', { kind: 'unknown-command', command: '/meet' }],
    ['/nick alice', { kind: 'nick', name: 'alice' }],
    ['//join dev', { kind: 'message', text: '/join dev' }],
    ['hello', { kind: 'message', text: 'hello' }],
    ['   ', { kind: 'empty' }],
  ])('reads %j', (text, expected) => {
    expect(parseRoomChatInput(text)).toEqual(expected);
  });
});

describe('checkChatRoom', () => {
  it('accepts 1 to 32 letters, digits, _ or -', () => {
    expect(checkChatRoom('dev_ops-2')).toBeUndefined();
    expect(checkChatRoom('a'.repeat(32))).toBeUndefined();
  });
  it.each(['', 'a'.repeat(33), 'two words', 'café', '#dev'])('refuses %j', (name) => {
    expect(checkChatRoom(name)).toMatch(/^invalid room /);
  });
});

describe('createTokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const bucket = createTokenBucket(2, 3, 1000);
    expect([1, 2, 3, 4].map(() => bucket.take(1000))).toEqual([true, true, true, false]);
    expect(bucket.take(1499)).toBe(false); // 0.998 of a token
    expect(bucket.take(1500)).toBe(true); // one token after 500 ms at 2/s
    expect(bucket.take(1500)).toBe(false);
    // A long pause refills up to the burst only.
    expect([1, 2, 3, 4].map(() => bucket.take(100_000))).toEqual([true, true, true, false]);
  });
});
