import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FtError } from '../src/errors.ts';
import {
  CODE_WORDS,
  checkCodeProof,
  codeProof,
  generateCodePhrase,
  normalizeCodePhrase,
} from '../src/handshake/code-phrase.ts';
import {
  checkGreeting,
  checkSenderHello,
  checkVerdict,
  decodeHandshake,
  encodeHandshake,
  HANDSHAKE_MAX_BYTES,
  type SenderHello,
} from '../src/handshake/messages.ts';

describe('the code phrase', () => {
  it('is four distinct-list words joined by dashes', () => {
    expect(new Set(CODE_WORDS).size).toBe(256);
    for (let i = 0; i < 50; i++) {
      const words = generateCodePhrase().split('-');
      expect(words).toHaveLength(4);
      for (const word of words) expect(CODE_WORDS).toContain(word);
    }
  });

  it('normalises case, spaces and separators, and refuses an empty one', () => {
    expect(normalizeCodePhrase('  Otter  Lime_sonar--KIWI ')).toBe('otter-lime-sonar-kiwi');
    expect(() => normalizeCodePhrase('   ')).toThrow(RangeError);
    expect(() => normalizeCodePhrase('x'.repeat(201))).toThrow(RangeError);
  });

  it('is proved for one nonce only, and a wrong or short proof fails', () => {
    const nonce = randomBytes(32);
    const proof = codeProof('otter-lime', nonce);
    expect(checkCodeProof('Otter Lime', nonce, proof)).toBe(true);
    expect(checkCodeProof('otter-lime', randomBytes(32), proof)).toBe(false);
    expect(checkCodeProof('otter-limes', nonce, proof)).toBe(false);
    expect(checkCodeProof('otter-lime', nonce, proof.subarray(1))).toBe(false);
    expect(checkCodeProof('otter-lime', nonce, Buffer.alloc(0))).toBe(false);
  });
});

describe('handshake messages', () => {
  const hello: SenderHello = {
    type: 'hello',
    proof: 'ab'.repeat(32),
    directories: ['a', 'a/b'],
    files: 2,
    bytes: 10,
  };

  it('round-trip, fed whole or split at every byte', () => {
    const bytes = encodeHandshake(hello);
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(decodeHandshake(bytes.subarray(0, cut))).toBeUndefined();
    }
    const decoded = decodeHandshake(Buffer.concat([bytes, Buffer.from([1, 2])]));
    expect(decoded?.bytesRead).toBe(bytes.length);
    expect(checkSenderHello(decoded?.value)).toEqual(hello);
  });

  it('refuse a declared length over the limit as soon as the length has arrived', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(HANDSHAKE_MAX_BYTES + 1);
    expect(() => decodeHandshake(head)).toThrow(FtError);
  });

  it.each([['not JSON', Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')])]])(
    'refuse %s',
    (_, bytes) => {
      expect(() => decodeHandshake(bytes)).toThrow(/bad handshake/);
    },
  );

  it.each([
    [{ ...hello, proof: 'zz' }],
    [{ ...hello, directories: 'a' }],
    [{ ...hello, directories: [1] }],
    [{ ...hello, files: -1 }],
    [{ ...hello, bytes: 1.5 }],
    [null],
    [[1]],
  ])('refuse a malformed hello %j', (value) => {
    expect(() => checkSenderHello(value)).toThrow(FtError);
  });

  it('check the greeting and the verdict', () => {
    const nonce = 'cd'.repeat(32);
    expect(checkGreeting({ type: 'greeting', app: 'socketlab-ft', version: 1, nonce }).nonce).toBe(
      nonce,
    );
    expect(() => checkGreeting({ type: 'greeting', app: 'other', version: 1, nonce })).toThrow(
      /not a socketlab-ft receiver/,
    );
    expect(() =>
      checkGreeting({ type: 'greeting', app: 'socketlab-ft', version: 2, nonce }),
    ).toThrow(/version 2/);
    expect(checkVerdict({ type: 'welcome' })).toEqual({ type: 'welcome' });
    expect(checkVerdict({ type: 'denied', code: 'FT_ERR_WRONG_CODE', message: 'no' })).toEqual({
      type: 'denied',
      code: 'FT_ERR_WRONG_CODE',
      message: 'no',
    });
    expect(() => checkVerdict({ type: 'maybe' })).toThrow(FtError);
  });
});
