// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** The largest message accepted when no `maxMessageBytes` is given: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A frame as exercise 02's parseFrame returns it (only the fields this exercise reads). */
export interface Frame {
  /** This is the final fragment of its message. */
  fin: boolean;
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  /** The payload, already unmasked. */
  payload: Uint8Array;
}

/**
 * What {@link MessageReader.push} returns: a whole text or binary message, or a control frame's
 * payload as it came (a close frame's code and reason are read elsewhere).
 */
export type Message =
  | { type: 'text'; data: string }
  | { type: 'binary'; data: Uint8Array }
  | { type: 'ping' | 'pong' | 'close'; data: Uint8Array };

/** Options of {@link MessageReader}. */
export interface MessageReaderOptions {
  /** The largest message accepted, all its fragments together. @default 16 MiB */
  maxMessageBytes?: number;
}

/**
 * Turns the frames of one connection, in order, into messages
 * (exercises/03-reassemble/README.md). An error is thrown as an Error with a `closeCode`:
 * 1002 (frames out of order, a bad control frame), 1007 (text that is not UTF-8, as soon as a
 * fragment proves it), 1009 (a message over `maxMessageBytes`, as soon as it passes it).
 * @example
 * const reader = new MessageReader();
 * reader.push({ fin: false, opcode: 1, payload: Buffer.from('Hel') }); // undefined
 * reader.push({ fin: true, opcode: 9, payload: Buffer.alloc(0) }); // { type: 'ping', data: <> }
 * reader.push({ fin: true, opcode: 0, payload: Buffer.from('lo') }); // { type: 'text', data: 'Hello' }
 */
export class MessageReader {
  /** The largest message accepted. */
  readonly maxMessageBytes: number;

  constructor(options: MessageReaderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    // TODO: the state of the message in progress: its opcode (or none), its fragments, its size,
    //       and a streaming UTF-8 check (new TextDecoder('utf-8', { fatal: true }), stream: true).
  }

  /**
   * Takes the next frame. Returns the message it completes, the control frame itself (at once,
   * even between the fragments of a message), or `undefined` for a fragment that does not end
   * its message.
   */
  push(frame: Frame): Message | undefined {
    // TODO: a control frame (opcode 8, 9, 10): FIN clear or payload over 125 bytes → closeCode
    //       1002; else return it now, without touching the message in progress.
    // TODO: text or binary starts a message: one already open → 1002. Continuation: none open → 1002.
    // TODO: count the bytes (over maxMessageBytes → 1009); for text, check this fragment's bytes
    //       as UTF-8 now, the TextDecoder remembering a character cut at the end (invalid → 1007).
    // TODO: FIN → finish the UTF-8 check (a cut character at the very end → 1007), join the
    //       fragments, reset the state for the next message, and return the message.
    throw new Error('not implemented yet: read exercises/03-reassemble/README.md');
  }
}
