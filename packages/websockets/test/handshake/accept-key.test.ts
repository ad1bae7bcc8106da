import { describe, expect, it } from 'vitest';
import {
  acceptKey,
  isValidWebSocketKey,
  WEBSOCKET_GUID,
  webSocketKeyFrom,
} from '../../src/handshake/accept-key.ts';

describe('acceptKey', () => {
  it("computes the RFC 6455 §1.3 example's accept value", () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('uses the GUID of RFC 6455 §1.3', () => {
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  });

  it('hashes the key as sent, without decoding it', () => {
    // Two spellings of the same 16 bytes would hash alike if the key were decoded first.
    expect(acceptKey('AAAAAAAAAAAAAAAAAAAAAA==')).not.toBe(acceptKey('AAAAAAAAAAAAAAAAAAAAAB=='));
  });
});

describe('isValidWebSocketKey', () => {
  it.each([
    ['dGhlIHNhbXBsZSBub25jZQ==', true],
    ['AAAAAAAAAAAAAAAAAAAAAA==', true],
    ['/+/+/+/+/+/+/+/+/+/+/w==', true],
    ['dGhlIHNhbXBsZQ==', false], // 11 bytes
    ['dGhlIHNhbXBsZSBub25jZSE=', false], // 17 bytes
    ['dGhlIHNhbXBsZSBub25jZQ', false], // padding missing
    ['AAAAAAAAAAAAAAAAAAAAAB==', false], // not canonical: low bits set
    ['dGhlIHNhbXBsZSBub25j-Q==', false], // base64url alphabet
    [' dGhlIHNhbXBsZSBub25jZQ==', false],
    ['', false],
  ])('says %j is %s', (key, valid) => {
    expect(isValidWebSocketKey(key)).toBe(valid);
  });
});

describe('webSocketKeyFrom', () => {
  it('encodes the RFC sample nonce', () => {
    expect(webSocketKeyFrom(Buffer.from('the sample nonce'))).toBe('dGhlIHNhbXBsZSBub25jZQ==');
  });

  it('refuses anything but 16 bytes', () => {
    expect(() => webSocketKeyFrom(new Uint8Array(15))).toThrow(RangeError);
    expect(() => webSocketKeyFrom(new Uint8Array(17))).toThrow(/16 random bytes, got 17/);
  });
});
