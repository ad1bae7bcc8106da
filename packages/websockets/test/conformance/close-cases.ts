/**
 * The close-handling cases of the conformance suite (RFC 6455 §5.5.1, §7.1, §7.4; Autobahn
 * category 7), as data: `close.test.ts` runs every one against the library's `WebSocketServer`,
 * and exercise 05 (`exercises/05-closing-handshake`) runs those about the closing handshake
 * itself against a server whose closing is the learner's code. Each case gets a raw client
 * whose opening handshake is done, connected to a server that echoes each message and answers
 * the text {@link CLOSE_REQUEST} by starting a close with 4001 "as requested".
 */
import { expect } from 'vitest';
import { CLOSE_REQUEST, closePayload, OP, type RawPeer } from './raw-peer.ts';

/**
 * What a case is about: reading the close payload (`payload`, `codes`, `reason`), answering a
 * close (`reply`), what follows one (`after-close`), the server's own close (`own-close`), or a
 * frame rule the frame parser enforces before any close handling (`frame`).
 */
export type CloseTopic =
  | 'reply'
  | 'payload'
  | 'codes'
  | 'reason'
  | 'after-close'
  | 'own-close'
  | 'frame';

export interface CloseCase {
  /** The test's name. */
  name: string;
  topic: CloseTopic;
  /** Drives the case on a fresh raw client and checks the server's reaction on the wire. */
  run(peer: RawPeer): Promise<void>;
}

/** Codes not valid on the wire (§7.4.1, §7.4.2): a close carrying one fails with 1002. */
export const INVALID_CLOSE_CODES = [
  0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
];

/** Codes valid on the wire: a close carrying one is answered with the same code. */
export const VALID_CLOSE_CODES = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];

export const CLOSE_CASES: readonly CloseCase[] = [
  {
    name: 'answers an empty close with an empty close, then closes TCP',
    topic: 'reply',
    run: async (peer) => {
      peer.send({ opcode: OP.CLOSE });
      await peer.expectClose(undefined);
    },
  },
  {
    name: 'echoes a message, then answers the close that follows it in the same write',
    topic: 'reply',
    run: async (peer) => {
      peer.send(
        { opcode: OP.TEXT, payload: 'last words' },
        { opcode: OP.CLOSE, payload: closePayload(1000) },
      );
      await peer.expectEcho(OP.TEXT, 'last words');
      await peer.expectClose(1000);
    },
  },
  {
    name: 'fails a close with a 1-byte payload with 1002',
    topic: 'payload',
    run: async (peer) => {
      peer.send({ opcode: OP.CLOSE, payload: Buffer.from([0x03]) });
      await peer.expectClose(1002);
    },
  },
  ...INVALID_CLOSE_CODES.map(
    (code): CloseCase => ({
      name: `fails a close with code ${code} (not valid on the wire, §7.4.1/§7.4.2) with 1002`,
      topic: 'codes',
      run: async (peer) => {
        peer.send({ opcode: OP.CLOSE, payload: closePayload(code) });
        await peer.expectClose(1002);
      },
    }),
  ),
  ...VALID_CLOSE_CODES.map(
    (code): CloseCase => ({
      name: `answers a close with code ${code} with the same code`,
      topic: 'codes',
      run: async (peer) => {
        peer.send({ opcode: OP.CLOSE, payload: closePayload(code, 'bye') });
        await peer.expectClose(code);
      },
    }),
  ),
  {
    name: 'answers a close with a 123-byte reason (125 bytes of payload, the most allowed)',
    topic: 'reason',
    run: async (peer) => {
      peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'r'.repeat(123)) });
      await peer.expectClose(1000);
    },
  },
  {
    name: 'answers a close whose reason is multi-byte UTF-8',
    topic: 'reason',
    run: async (peer) => {
      peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'κόσμε 𝄞') });
      await peer.expectClose(1000);
    },
  },
  {
    name: 'fails a close with a 124-byte reason (126 bytes of payload) with 1002',
    topic: 'frame',
    run: async (peer) => {
      peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, 'r'.repeat(124)) });
      await peer.expectClose(1002);
    },
  },
  ...[
    { what: 'a surrogate', reason: [0xed, 0xa0, 0x80] },
    { what: 'an overlong form', reason: [0xc0, 0x80] },
    { what: 'a truncated sequence', reason: [0x6f, 0x6b, 0xe2, 0x82] },
  ].map(
    ({ what, reason }): CloseCase => ({
      name: `fails a close whose reason holds ${what} (not UTF-8) with 1007`,
      topic: 'reason',
      run: async (peer) => {
        peer.send({ opcode: OP.CLOSE, payload: closePayload(1000, Buffer.from(reason)) });
        await peer.expectClose(1007);
      },
    }),
  ),
  {
    name: 'fails a fragmented close with 1002',
    topic: 'frame',
    run: async (peer) => {
      peer.send({ opcode: OP.CLOSE, payload: closePayload(1000), fin: false });
      await peer.expectClose(1002);
    },
  },
  {
    name: 'ignores data, pings and a second close written after a close',
    topic: 'after-close',
    run: async (peer) => {
      peer.send(
        { opcode: OP.CLOSE, payload: closePayload(1000) },
        { opcode: OP.TEXT, payload: 'ignored' },
        { opcode: OP.PING, payload: 'ignored' },
        { opcode: OP.CLOSE, payload: closePayload(1001) },
      );
      await peer.expectClose(1000); // checks nothing follows the close frame
    },
  },
  {
    name: 'ignores even a malformed frame written after a close (no 1002 replaces the echo)',
    topic: 'after-close',
    run: async (peer) => {
      peer.send(
        { opcode: OP.CLOSE, payload: closePayload(3001) },
        { opcode: 5, payload: 'x', mask: false },
      );
      await peer.expectClose(3001);
    },
  },
  {
    name: 'answers a close that arrives in the middle of a fragmented message',
    topic: 'reply',
    run: async (peer) => {
      peer.send(
        { opcode: OP.TEXT, payload: 'unfinished', fin: false },
        { opcode: OP.CLOSE, payload: closePayload(1000) },
      );
      await peer.expectClose(1000);
    },
  },
  {
    name: 'starts a closing handshake itself: close 4001, then TCP closed by the server once answered',
    topic: 'own-close',
    run: async (peer) => {
      peer.send({ opcode: OP.TEXT, payload: CLOSE_REQUEST });
      const frame = await peer.nextFrame('the server close');
      expect(frame.opcode, 'opcode of the server close').toBe(OP.CLOSE);
      expect(frame.payload.readUInt16BE(0), 'code of the server close').toBe(4001);
      expect(frame.payload.subarray(2).toString(), 'reason of the server close').toBe(
        'as requested',
      );
      // §7.1.1/§5.5.1: the server does not close TCP before our close arrives; then it does.
      expect(peer.ended, 'TCP ended by the server before our close arrived').toBe(false);
      peer.send({ opcode: OP.CLOSE, payload: closePayload(4001) });
      await peer.waitEnded();
      expect(peer.frames, 'frames the server sent after its close frame').toEqual([]);
    },
  },
  {
    name: 'ignores messages that cross its own close and ends TCP when our close arrives',
    topic: 'own-close',
    run: async (peer) => {
      peer.send(
        { opcode: OP.TEXT, payload: CLOSE_REQUEST },
        { opcode: OP.TEXT, payload: 'crossing' },
      );
      const frame = await peer.nextFrame('the server close');
      expect(frame.opcode, 'opcode of the server close').toBe(OP.CLOSE);
      peer.send({ opcode: OP.CLOSE, payload: closePayload(1000) });
      await peer.waitEnded();
      expect(peer.frames, 'frames the server sent after its close frame').toEqual([]);
    },
  },
];
