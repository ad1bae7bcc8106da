import { CHAT_LOBBY, CHAT_ROOM_PATTERN } from '@socketlab/multiplexing';
import { CHAT_NICK_PATTERN } from '@socketlab/tcp-udp';
import { REALTIME_ERROR_CODES } from '@socketlab/websockets/realtime';
import { describe, expect, it } from 'vitest';
import { LOBBY, NICK_PATTERN, ROOM_NAME_PATTERN } from '../src/contract.ts';

// The contract is imported by the browser page, so it cannot import the stage libraries (they load
// node: modules); it restates their rules instead, and these tests keep the two from drifting apart:
// a room or nick that `nc` accepts must be one the page accepts, and the other way round.
describe('the contract agrees with the stages it is built on', () => {
  it('has stage 3 room chat rule for room names, and its lobby', () => {
    expect(ROOM_NAME_PATTERN.source).toBe(CHAT_ROOM_PATTERN.source);
    expect(ROOM_NAME_PATTERN.flags).toBe(CHAT_ROOM_PATTERN.flags);
    expect(LOBBY).toBe(CHAT_LOBBY);
  });

  it('has stage 2 line chat rule for nicknames', () => {
    expect(NICK_PATTERN.source).toBe(CHAT_NICK_PATTERN.source);
    expect(NICK_PATTERN.flags).toBe(CHAT_NICK_PATTERN.flags);
  });

  it('uses stage 4 error codes, so a stage 4 client reads its refusals', () => {
    expect(REALTIME_ERROR_CODES).toEqual(
      expect.arrayContaining([
        'REALTIME_ERR_AUTH',
        'REALTIME_ERR_RATE_LIMITED',
        'REALTIME_ERR_PAYLOAD',
      ]),
    );
  });
});
