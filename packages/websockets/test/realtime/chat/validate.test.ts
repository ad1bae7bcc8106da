import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHAT_LIMITS,
  jsonDepthWithin,
  validateChatMessage,
  validateRoomName,
} from '../../../src/realtime/chat/index.ts';
import { RealtimeError } from '../../../src/realtime/errors.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof RealtimeError ? error.code : `not a RealtimeError: ${String(error)}`;
  }
  return undefined;
}

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

describe('validateRoomName', () => {
  it.each(['general', 'a', 'dev-ops_2', 'X'.repeat(32)])('accepts %j', (name) => {
    expect(validateRoomName(name)).toBe(name);
  });

  it.each([
    ['an empty name', ''],
    ['33 characters', 'x'.repeat(33)],
    ['a space', 'two words'],
    ['a colon (a notification channel)', 'user:42'],
    ['a non-ASCII letter', 'café'],
    ['a number', 42],
    ['null', null],
    ['an object', { toString: () => 'general' }],
    ['an array', ['general']],
    ['a nested value', nested(10_000)],
  ])('refuses %s with REALTIME_ERR_PAYLOAD', (_, name) => {
    expect(codeOf(() => validateRoomName(name))).toBe('REALTIME_ERR_PAYLOAD');
  });

  it('takes its own maximum length', () => {
    expect(validateRoomName('abcd', 4)).toBe('abcd');
    expect(codeOf(() => validateRoomName('abcde', 4))).toBe('REALTIME_ERR_PAYLOAD');
  });

  it('accepts exactly the names of 1 to 32 letters, digits, _ and - (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (name) => {
        const valid = /^[A-Za-z0-9_-]{1,32}$/.test(name);
        expect(codeOf(() => validateRoomName(name))).toBe(
          valid ? undefined : 'REALTIME_ERR_PAYLOAD',
        );
      }),
    );
  });
});

describe('validateChatMessage', () => {
  it('returns a copy holding only room and text', () => {
    const payload = { room: 'general', text: 'hi', extra: nested(100_000), __proto__: { x: 1 } };
    const checked = validateChatMessage(payload);
    expect(checked).toEqual({ room: 'general', text: 'hi' });
    expect(Object.keys(checked)).toEqual(['room', 'text']);
    expect(checked).not.toBe(payload);
  });

  it('accepts a text of exactly maxTextLength characters', () => {
    const text = 'é'.repeat(CHAT_LIMITS.maxTextLength);
    expect(validateChatMessage({ room: 'r', text }).text).toBe(text);
  });

  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an array', [{ room: 'general', text: 'hi' }]],
    ['no room', { text: 'hi' }],
    ['a bad room', { room: 'a b', text: 'hi' }],
    ['no text', { room: 'general' }],
    ['an empty text', { room: 'general', text: '' }],
    ['a text of spaces only', { room: 'general', text: ' \n\t ' }],
    ['a text too long', { room: 'general', text: 'x'.repeat(2001) }],
    ['a text that is an object', { room: 'general', text: { toString: () => 'hi' } }],
    ['a text that nests deeply', { room: 'general', text: nested(100_000) }],
  ])('refuses %s with REALTIME_ERR_PAYLOAD', (_, payload) => {
    expect(codeOf(() => validateChatMessage(payload))).toBe('REALTIME_ERR_PAYLOAD');
  });

  it('takes its own limits', () => {
    expect(
      codeOf(() => validateChatMessage({ room: 'r', text: 'abcd' }, { maxTextLength: 3 })),
    ).toBe('REALTIME_ERR_PAYLOAD');
  });

  it('never throws anything but a RealtimeError, and never returns more than room and text (property)', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), (payload) => {
        let checked: unknown;
        try {
          checked = validateChatMessage(payload);
        } catch (error) {
          expect(error).toBeInstanceOf(RealtimeError);
          return;
        }
        expect(Object.keys(checked as object).sort()).toEqual(['room', 'text']);
      }),
    );
  });
});

describe('jsonDepthWithin', () => {
  it.each([
    ['a scalar', 'x', 0, true],
    ['an empty object', {}, 1, true],
    ['an empty object at depth 0', {}, 0, false],
    ['{ a: [1] }', { a: [1] }, 2, true],
    ['{ a: [1] } at depth 1', { a: [1] }, 1, false],
  ])('%s', (_, value, max, expected) => {
    expect(jsonDepthWithin(value, max)).toBe(expected);
  });

  it('refuses a 100,000-deep value without overflowing the stack', () => {
    expect(jsonDepthWithin(nested(100_000), 8)).toBe(false);
    expect(jsonDepthWithin(nested(8), 8)).toBe(true);
    expect(jsonDepthWithin(nested(9), 8)).toBe(false);
  });

  it('refuses a cycle', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonDepthWithin(cycle, 100)).toBe(false);
  });

  it('agrees with a recursive depth count on small values (property)', () => {
    const depthOf = (value: unknown): number =>
      typeof value !== 'object' || value === null
        ? 0
        : 1 + Math.max(0, ...Object.values(value).map(depthOf));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        expect(jsonDepthWithin(value, max)).toBe(depthOf(value) <= max);
      }),
    );
  });
});
