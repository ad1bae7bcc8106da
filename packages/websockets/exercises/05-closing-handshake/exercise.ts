// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** How long a server waits for the peer to finish closing when no `closeTimeoutMs` is given: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Where the closing handshake is: `'open'` (no close frame sent or received), `'closing'` (we
 * sent ours and wait for the peer's), `'closed'` (both sent, or we failed the connection: nothing
 * more is read or sent; only the TCP connection is still going away).
 */
export type CloseState = 'open' | 'closing' | 'closed';

/** What a close frame said, or what the connection reports once closed. */
export interface CloseResult {
  /** The status code: 1005 when the close frame had none, 1006 when none came. */
  code: number;
  /** The reason, `''` when there was none. */
  reason: string;
}

/**
 * What the code around the state machine must do, in order:
 * - `send-close`: write a close frame with this payload (empty, or a 2-byte code then a reason);
 * - `end-tcp`: end our side of the TCP connection (FIN: `socket.end()`);
 * - `destroy-tcp`: drop the TCP connection at once (`socket.destroy()`);
 * - `start-timer`: call {@link ClosingHandshake.timeout} after `ms`, unless the socket closes first.
 */
export type CloseAction =
  | { type: 'send-close'; payload: Uint8Array }
  | { type: 'end-tcp' }
  | { type: 'destroy-tcp' }
  | { type: 'start-timer'; ms: number };

/** Options of {@link ClosingHandshake}. */
export interface ClosingHandshakeOptions {
  /** How long to wait for the peer, from the first close frame sent, before dropping TCP. @default 5000 */
  closeTimeoutMs?: number;
}

/**
 * Reads a close frame's payload (exercises/05-closing-handshake/README.md, "The close frame's
 * payload"): empty → `{ code: 1005, reason: '' }`; else a 2-byte big-endian code and a UTF-8
 * reason. Throws an Error with `closeCode` 1002 for a 1-byte payload or a code not valid on the
 * wire, 1007 for a reason that is not UTF-8.
 * @example readClosePayload(Uint8Array.of(0x03, 0xe8, 0x6f, 0x6b)); // { code: 1000, reason: 'ok' }
 */
export function readClosePayload(payload: Uint8Array): CloseResult {
  // TODO: empty → code 1005 (no status), reason ''. One byte → throw, closeCode 1002.
  // TODO: the code: (payload[0] << 8) | payload[1]. Valid on the wire: 1000–1003, 1007–1014,
  //       3000–4999. Anything else → closeCode 1002.
  // TODO: the reason: the rest, decoded with new TextDecoder('utf-8', { fatal: true }); its throw → 1007.
  throw new Error('not implemented yet: read exercises/05-closing-handshake/README.md');
}

/**
 * The closing handshake of one server connection, as a state machine
 * (exercises/05-closing-handshake/README.md): each method takes one event and returns the
 * actions to perform, in order; it never touches a socket or a timer itself.
 * @example
 * const closing = new ClosingHandshake();
 * closing.receiveClose(Uint8Array.of(0x03, 0xe8));
 * // [{ type: 'send-close', payload: <03 e8> }, { type: 'end-tcp' }, { type: 'start-timer', ms: 5000 }]
 * closing.state; // 'closed'
 */
export class ClosingHandshake {
  /** Where the handshake is; a new connection is `'open'`. */
  state: CloseState = 'open';
  /** What the connection reports once `'closed'`: the code and reason received (or failed with, or 1006). */
  result: CloseResult | undefined = undefined;
  /** How long to wait for the peer. */
  readonly closeTimeoutMs: number;

  constructor(options: ClosingHandshakeOptions = {}) {
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  /**
   * The server closes, with a code valid on the wire (none: an empty close) and a reason of at
   * most 123 bytes of UTF-8. Throws a RangeError for anything else, and changes nothing.
   */
  close(code?: number, reason = ''): CloseAction[] {
    // TODO: a bad code or a reason over 123 bytes (Buffer.byteLength) → throw a RangeError, state unchanged.
    // TODO: only when 'open': → 'closing'; send the close (2-byte code + reason), start the timer.
    //       Already closing or closed → nothing: never two close frames.
    throw new Error('not implemented yet: read exercises/05-closing-handshake/README.md');
  }

  /** A close frame arrived: its payload, unmasked (the frame parser already checked its frame). */
  receiveClose(payload: Uint8Array): CloseAction[] {
    // TODO: 'closed' → nothing (a second close, or one after we failed, is ignored).
    // TODO: read the payload (readClosePayload); its closeCode, if it throws, is what we fail with.
    // TODO: 'open' → answer: the same code (an empty close for an empty one), or the failure code;
    //       then end TCP (the server closes first) and start the timer. 'closing' → our close is
    //       already out: just end TCP. Either way → 'closed', and set `result`.
    throw new Error('not implemented yet: read exercises/05-closing-handshake/README.md');
  }

  /** The timer of a `start-timer` action fired: the peer did not finish closing in time. */
  timeout(): CloseAction[] {
    // TODO: 'closing' → 'closed', result { code: 1006, reason: '' }, destroy TCP.
    //       'closed' → destroy TCP (the peer never closed its side). 'open' → nothing.
    throw new Error('not implemented yet: read exercises/05-closing-handshake/README.md');
  }
}
