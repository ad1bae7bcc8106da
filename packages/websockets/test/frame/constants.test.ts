import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  isControlOpcode,
  isKnownOpcode,
  isValidCloseCodeOnWire,
  OPCODES,
} from '../../src/frame/constants.ts';

describe('frame constants', () => {
  it('knows the six opcodes of RFC 6455 §5.2 and which are control frames', () => {
    const known = Array.from({ length: 16 }, (_, op) => op).filter(isKnownOpcode);
    expect(known).toEqual(Object.values(OPCODES).sort((a, b) => a - b));
    expect(known.filter(isControlOpcode)).toEqual([8, 9, 10]);
  });

  it('allows on the wire exactly 1000–1003, 1007–1014 and 3000–4999', () => {
    const allowed: number[] = [];
    for (let code = 0; code <= 65_535; code++) if (isValidCloseCodeOnWire(code)) allowed.push(code);
    const expected = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
    for (let code = 3000; code <= 4999; code++) expected.push(code);
    expect(allowed).toEqual(expected);
    expect(isValidCloseCodeOnWire(1000.5)).toBe(false);
  });

  it('names the codes that are never sent as such', () => {
    for (const code of [
      CLOSE_CODES.NO_STATUS_RECEIVED,
      CLOSE_CODES.ABNORMAL_CLOSURE,
      CLOSE_CODES.TLS_HANDSHAKE,
    ]) {
      expect(isValidCloseCodeOnWire(code)).toBe(false);
    }
  });
});
