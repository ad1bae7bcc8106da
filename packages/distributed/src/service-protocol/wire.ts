/**
 * The frames of the service protocol, as pure encoders and one decoder. Each frame is one payload
 * of stage 2's u32 length-prefix framing; its first byte says what it is, and its fixed part is a
 * stage 2 struct. Request, response and event frames end with a body of the message registry.
 *
 * ```text
 * HELLO     01 | magic u32 "SLSP" | minVersion u16 | maxVersion u16
 * WELCOME   02 | version u16
 * CLOSE     03 | reason u8 | detail (u16 length, UTF-8)
 * REQUEST   10 | requestId u32 | body
 * RESPONSE  11 | requestId u32 | body
 * ERROR     12 | requestId u32 | code (u16 length, UTF-8) | message (u16 length, UTF-8)
 * EVENT     13 | body
 * body      message id u16 | version u8 | fields (stage 4's schema codec)
 * ```
 */
import { defineStruct } from '@socketlab/tcp-udp';
import { DistributedError } from '../errors.ts';

/** "SLSP": the first four bytes after a HELLO's kind, so a stray client is refused at once. */
export const SERVICE_PROTOCOL_MAGIC = 0x534c5350;

/** The first byte of each frame. */
export const SERVICE_FRAME_KINDS = Object.freeze({
  hello: 0x01,
  welcome: 0x02,
  close: 0x03,
  request: 0x10,
  response: 0x11,
  error: 0x12,
  event: 0x13,
});

/** Why a connection was closed, as the CLOSE frame's reason byte. */
export const SERVICE_CLOSE_REASONS = Object.freeze({
  'no-common-version': 1,
  'going-away': 2,
  'protocol-error': 3,
});

/** A key of {@link SERVICE_CLOSE_REASONS}. */
export type ServiceCloseReason = keyof typeof SERVICE_CLOSE_REASONS;

/** One frame, decoded. Bodies stay bytes: the registry decodes them once the version is known. */
export type ServiceFrame =
  | { readonly kind: 'hello'; readonly minVersion: number; readonly maxVersion: number }
  | { readonly kind: 'welcome'; readonly version: number }
  | { readonly kind: 'close'; readonly reason: ServiceCloseReason; readonly detail: string }
  | { readonly kind: 'request' | 'response'; readonly requestId: number; readonly body: Buffer }
  | {
      readonly kind: 'error';
      readonly requestId: number;
      readonly code: string;
      readonly message: string;
    }
  | { readonly kind: 'event'; readonly body: Buffer };

const HELLO = defineStruct({ kind: 'u8', magic: 'u32', minVersion: 'u16', maxVersion: 'u16' });
const WELCOME = defineStruct({ kind: 'u8', version: 'u16' });
const CLOSE = defineStruct({ kind: 'u8', reason: 'u8', detail: { type: 'string', maxBytes: 512 } });
const ENVELOPE = defineStruct({ kind: 'u8', requestId: 'u32' });
const ERROR = defineStruct({
  kind: 'u8',
  requestId: 'u32',
  code: { type: 'string', maxBytes: 64 },
  message: { type: 'string', maxBytes: 1024 },
});

/** A HELLO frame: the client's version range. */
export function encodeHello(minVersion: number, maxVersion: number): Uint8Array {
  return HELLO.encode({
    kind: SERVICE_FRAME_KINDS.hello,
    magic: SERVICE_PROTOCOL_MAGIC,
    minVersion,
    maxVersion,
  });
}

/** A WELCOME frame: the version the server chose. */
export function encodeWelcome(version: number): Uint8Array {
  return WELCOME.encode({ kind: SERVICE_FRAME_KINDS.welcome, version });
}

/** A CLOSE frame; `detail` is cut to 512 bytes' worth of characters. */
export function encodeClose(reason: ServiceCloseReason, detail: string): Uint8Array {
  let text = detail;
  while (Buffer.byteLength(text) > 512) text = text.slice(0, -1);
  return CLOSE.encode({
    kind: SERVICE_FRAME_KINDS.close,
    reason: SERVICE_CLOSE_REASONS[reason],
    detail: text,
  });
}

/** A REQUEST or RESPONSE frame around an encoded body. */
export function encodeCall(
  kind: 'request' | 'response',
  requestId: number,
  body: Uint8Array,
): Uint8Array {
  const out = Buffer.allocUnsafe(ENVELOPE.minByteLength + body.byteLength);
  ENVELOPE.encodeInto({ kind: SERVICE_FRAME_KINDS[kind], requestId }, out, 0);
  out.set(body, ENVELOPE.minByteLength);
  return out;
}

/** An ERROR frame: the request failed on the other side. Long texts are cut. */
export function encodeCallError(requestId: number, code: string, message: string): Uint8Array {
  return ERROR.encode({
    kind: SERVICE_FRAME_KINDS.error,
    requestId,
    code: code.slice(0, 64),
    message:
      Buffer.byteLength(message) > 1024
        ? Buffer.from(message).subarray(0, 1000).toString()
        : message,
  });
}

/** An EVENT frame around an encoded body. */
export function encodeEvent(body: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(1 + body.byteLength);
  out[0] = SERVICE_FRAME_KINDS.event;
  out.set(body, 1);
  return out;
}

/**
 * Decodes one frame (one length-prefixed payload).
 * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` for an unknown kind, a bad magic, an
 *   unknown close reason, or bytes that do not fit the frame's struct.
 */
export function decodeServiceFrame(frame: Buffer): ServiceFrame {
  try {
    switch (frame[0]) {
      case SERVICE_FRAME_KINDS.hello: {
        const hello = HELLO.decode(frame);
        if (hello.magic !== SERVICE_PROTOCOL_MAGIC) {
          throw malformed(`a HELLO with magic 0x${hello.magic.toString(16)}, not "SLSP"`);
        }
        return { kind: 'hello', minVersion: hello.minVersion, maxVersion: hello.maxVersion };
      }
      case SERVICE_FRAME_KINDS.welcome:
        return { kind: 'welcome', version: WELCOME.decode(frame).version };
      case SERVICE_FRAME_KINDS.close: {
        const close = CLOSE.decode(frame);
        const reason = (Object.keys(SERVICE_CLOSE_REASONS) as ServiceCloseReason[]).find(
          (name) => SERVICE_CLOSE_REASONS[name] === close.reason,
        );
        if (reason === undefined) throw malformed(`a CLOSE with unknown reason ${close.reason}`);
        return { kind: 'close', reason, detail: close.detail };
      }
      case SERVICE_FRAME_KINDS.request:
      case SERVICE_FRAME_KINDS.response: {
        const { value } = ENVELOPE.decodeFrom(frame, 0);
        return {
          kind: value.kind === SERVICE_FRAME_KINDS.request ? 'request' : 'response',
          requestId: value.requestId,
          body: frame.subarray(ENVELOPE.minByteLength),
        };
      }
      case SERVICE_FRAME_KINDS.error: {
        const { requestId, code, message } = ERROR.decode(frame);
        return { kind: 'error', requestId, code, message };
      }
      case SERVICE_FRAME_KINDS.event:
        return { kind: 'event', body: frame.subarray(1) };
      default:
        throw malformed(
          frame.length === 0
            ? 'an empty frame'
            : `a frame of unknown kind 0x${(frame[0] as number).toString(16).padStart(2, '0')}`,
        );
    }
  } catch (cause) {
    if (cause instanceof DistributedError) throw cause;
    throw malformed(
      `a frame of kind 0x${(frame[0] ?? 0).toString(16)} that does not decode`,
      cause,
    );
  }
}

function malformed(what: string, cause?: unknown): DistributedError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `service protocol: ${what}${detail}`, {
    cause,
  });
}
