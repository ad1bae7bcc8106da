/**
 * The load generator's messages: a token `@<id>;` that names the message, padded with `x` to the
 * asked size. Printable ASCII without a newline, so the same message fits every framing (a line
 * included) and a chat server relays it unchanged inside its own line (`<nick> @17;xxxx`).
 */

/** The smallest message the load generator sends: room for the token of any message id. */
export const LOAD_MIN_MESSAGE_BYTES = 16;

const AT = 0x40; // '@'
const SEMICOLON = 0x3b; // ';'
const ZERO = 0x30;
const PAD = 0x78; // 'x'
/** Digits of the largest id a run can reach (checked by the options: fewer than 10^14 messages). */
const MAX_ID_DIGITS = LOAD_MIN_MESSAGE_BYTES - 2;

/** Message `id` as `messageBytes` bytes: `@<id>;` then `x` padding. */
export function encodeLoadMessage(id: number, messageBytes: number): Buffer {
  const message = Buffer.allocUnsafe(messageBytes);
  message[0] = AT;
  const digits = message.write(String(id), 1, 'latin1');
  message[1 + digits] = SEMICOLON;
  message.fill(PAD, 2 + digits);
  return message;
}

/**
 * The id in the first `@<digits>;` token of a received frame, or `undefined` when it has none:
 * a frame the target sent of its own accord (a chat notice).
 */
export function decodeLoadMessageId(frame: Uint8Array): number | undefined {
  for (let at = frame.indexOf(AT); at !== -1; at = frame.indexOf(AT, at + 1)) {
    let id = 0;
    let i = at + 1;
    for (; i < frame.length && i - at - 1 < MAX_ID_DIGITS; i++) {
      const byte = frame[i] as number;
      if (byte < ZERO || byte > ZERO + 9) break;
      id = id * 10 + (byte - ZERO);
    }
    if (i > at + 1 && frame[i] === SEMICOLON) return id;
  }
  return undefined;
}
