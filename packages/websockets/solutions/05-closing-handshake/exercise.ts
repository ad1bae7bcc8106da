import {
  type CloseAction,
  type CloseResult,
  type CloseState,
  type ClosingHandshakeOptions,
  DEFAULT_CLOSE_TIMEOUT_MS,
} from '../../exercises/05-closing-handshake/exercise.ts';
import { WebSocketError } from '../../src/errors.ts';
import { encodeClosePayload, MessageAssembler } from '../../src/frame/index.ts';

export type { CloseAction, CloseResult, CloseState, ClosingHandshakeOptions };
export { DEFAULT_CLOSE_TIMEOUT_MS };

/**
 * The library's `MessageAssembler` reads close payloads (the code valid on the wire, the reason
 * checked by its `Utf8Validator`); a close frame goes in, a `close` event or a `WebSocketError`
 * with its `closeCode` comes out.
 */
export function readClosePayload(payload: Uint8Array): CloseResult {
  const frame = {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: 8,
    masked: false,
    payload: Buffer.from(payload.buffer, payload.byteOffset, payload.length),
  };
  const [event] = new MessageAssembler().push(frame);
  if (event?.type !== 'close') throw new Error('the assembler did not read a close frame');
  return { code: event.code, reason: event.reason };
}

/**
 * The closing handshake of a server connection, the way the library's `WebSocketConnection`
 * runs it (src/connection/connection.ts, `close`, `onCloseFrame`, `fail`), with the socket and
 * the timer left to the caller.
 */
export class ClosingHandshake {
  state: CloseState = 'open';
  result: CloseResult | undefined = undefined;
  readonly closeTimeoutMs: number;

  constructor(options: ClosingHandshakeOptions = {}) {
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  close(code?: number, reason = ''): CloseAction[] {
    const payload = encodeClosePayload(code, reason); // throws RangeError/TypeError before any change
    if (this.state !== 'open') return [];
    this.state = 'closing';
    return [
      { type: 'send-close', payload },
      { type: 'start-timer', ms: this.closeTimeoutMs },
    ];
  }

  receiveClose(payload: Uint8Array): CloseAction[] {
    if (this.state === 'closed') return [];
    let received: CloseResult;
    let reply: Uint8Array;
    try {
      received = readClosePayload(payload);
      // §5.5.1: echo the code; 1005 was never on the wire, so an empty close answers an empty one.
      reply = received.code === 1005 ? Buffer.alloc(0) : encodeClosePayload(received.code);
    } catch (error) {
      const code = error instanceof WebSocketError ? (error.closeCode ?? 1002) : 1002;
      received = { code, reason: '' };
      reply = encodeClosePayload(code);
    }
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.result = received;
    if (!wasOpen) return [{ type: 'end-tcp' }]; // our close is out, and its timer runs
    return [
      { type: 'send-close', payload: reply },
      { type: 'end-tcp' }, // §7.1.1: the server closes TCP first
      { type: 'start-timer', ms: this.closeTimeoutMs },
    ];
  }

  timeout(): CloseAction[] {
    if (this.state === 'open') return [];
    if (this.state === 'closing') this.result = { code: 1006, reason: '' };
    this.state = 'closed';
    return [{ type: 'destroy-tcp' }];
  }
}
