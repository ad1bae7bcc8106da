import {
  DEFAULT_MAX_MESSAGE_BYTES,
  type Frame,
  type Message,
  type MessageReaderOptions,
} from '../../exercises/03-reassemble/exercise.ts';
import { WebSocketError } from '../../src/errors.ts';
import {
  CONTROL_MAX_PAYLOAD_BYTES,
  isKnownOpcode,
  MessageAssembler,
} from '../../src/frame/index.ts';

export type { Frame, Message, MessageReaderOptions };
export { DEFAULT_MAX_MESSAGE_BYTES };

/**
 * Control frames are checked and returned here; text, binary and continuation frames go to the
 * library's `MessageAssembler`, which checks their order, validates text as each fragment
 * arrives (its `Utf8Validator` fails even in the middle of a character), and counts the message
 * against the limit. (The assembler also reads close frames' codes; this exercise returns their
 * payload as it is.)
 */
export class MessageReader {
  readonly maxMessageBytes: number;
  readonly #assembler: MessageAssembler;

  constructor(options: MessageReaderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#assembler = new MessageAssembler({ maxMessageBytes: this.maxMessageBytes });
  }

  push(frame: Frame): Message | undefined {
    const { fin, opcode } = frame;
    const payload = Buffer.from(
      frame.payload.buffer,
      frame.payload.byteOffset,
      frame.payload.length,
    );
    if (!isKnownOpcode(opcode)) throw protocol(`opcode ${opcode} is reserved (RFC 6455 §5.2)`);
    if (opcode >= 8) {
      if (!fin) throw protocol('a control frame is fragmented (RFC 6455 §5.5)');
      if (payload.length > CONTROL_MAX_PAYLOAD_BYTES) {
        throw protocol(`a control frame has ${payload.length} bytes, over 125 (RFC 6455 §5.5)`);
      }
      return { type: opcode === 8 ? 'close' : opcode === 9 ? 'ping' : 'pong', data: payload };
    }
    const [event] = this.#assembler.push({
      fin,
      opcode,
      payload,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      masked: false,
    });
    if (event?.type === 'text' || event?.type === 'binary') return event;
    return undefined;
  }
}

function protocol(message: string): WebSocketError {
  return new WebSocketError('WEBSOCKET_ERR_PROTOCOL', message, { closeCode: 1002 });
}
