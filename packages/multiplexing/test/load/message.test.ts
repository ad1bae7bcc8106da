import { describe, expect, it } from 'vitest';
import {
  decodeLoadMessageId,
  encodeLoadMessage,
  LOAD_MIN_MESSAGE_BYTES,
} from '../../src/load/message.ts';

describe('load messages', () => {
  it.each([0, 7, 123_456, 99_999_999_999_999])('carries id %i and decodes it back', (id) => {
    const message = encodeLoadMessage(id, LOAD_MIN_MESSAGE_BYTES);
    expect(message.length).toBe(LOAD_MIN_MESSAGE_BYTES);
    expect(message.toString('latin1')).toMatch(/^@\d+;x*$/);
    expect(decodeLoadMessageId(message)).toBe(id);
  });

  it('pads to the asked size with printable bytes and no newline', () => {
    const message = encodeLoadMessage(42, 1000);
    expect(message.length).toBe(1000);
    expect(message.toString('latin1')).toBe(`@42;${'x'.repeat(996)}`);
  });

  it('finds the id inside a line a chat server relayed', () => {
    expect(decodeLoadMessageId(Buffer.from('<guest3> @17;xxxx'))).toBe(17);
    expect(decodeLoadMessageId(Buffer.from('mail me @ home @9;x'))).toBe(9);
  });

  it.each(['', '* guest1 joined', '@;', '@12', '@12x;', '@123456789012345;'])(
    'finds no id in %j',
    (text) => {
      expect(decodeLoadMessageId(Buffer.from(text))).toBeUndefined();
    },
  );
});
