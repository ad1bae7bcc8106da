/**
 * Any {@link MessageCodec} as a Socket.IO parser (the `parser` option of `Server` and of the
 * client's `io()`): an Encoder that turns each packet into one binary message, and a Decoder
 * that checks every packet's shape before Socket.IO sees it.
 * @see https://socket.io/docs/v4/custom-parser/
 * @see https://github.com/socketio/socket.io-protocol (packet types and their payloads)
 */
import { EventEmitter } from 'node:events';
import { checkInteger } from '@socketlab/internal';
import { encodingError, type MessageCodec, toEncodingError } from './codec.ts';
import { createMsgpackCodec } from './msgpack-codec.ts';
import type { SchemaCodec } from './schema-codec.ts';

/** Socket.IO packet types (socket.io-protocol v5). The binary variants (5, 6) are never needed here: every codec carries bytes itself. */
export const SOCKET_IO_PACKET_TYPES = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
} as const;

/** A Socket.IO packet, as Socket.IO gives it to an Encoder and takes it from a Decoder. */
export interface SocketIoPacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** What {@link createSocketIoParser} returns: pass it as `parser` to `new Server()` and to `io()`. */
export interface SocketIoParser {
  readonly Encoder: new () => { encode(packet: SocketIoPacket): Uint8Array[] };
  readonly Decoder: new () => SocketIoDecoder;
}

/** A parser's Decoder: `add()` each incoming message, `'decoded'` emits each packet. */
export interface SocketIoDecoder extends EventEmitter {
  /**
   * Decodes one message and emits `'decoded'` with its packet.
   * @throws {RealtimeError} `REALTIME_ERR_ENCODING` for text, bytes the codec refuses, or a
   *   packet of the wrong shape; Socket.IO then closes that one connection (reason
   *   `'forced close'` on the server, `'parse error'` on a client).
   */
  add(chunk: unknown): void;
  destroy(): void;
}

/** Options of {@link createSocketIoParser}. */
export interface SocketIoParserOptions {
  /**
   * With a schema codec: the codec of every packet that is not an event with a schema (the
   * connect handshake, acknowledgements, errors).
   * @default createMsgpackCodec()
   */
  readonly fallback?: MessageCodec<unknown>;
  /**
   * With a schema codec: let events without a schema through, encoded with `fallback`.
   * @default false (an unknown event is refused both ways)
   */
  readonly allowUnknownEvents?: boolean;
  /** The longest namespace name, in characters. @default 255 */
  readonly maxNamespaceLength?: number;
}

/** Event names Socket.IO keeps for itself: a peer may not send them. */
const RESERVED_EVENTS = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

/** First byte of a message of a schema parser: which kind follows. */
const TAG_FALLBACK = 0;
const TAG_EVENT = 1;
const TAG_EVENT_WITH_ACK = 2;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Makes a Socket.IO parser from a codec; both sides of a connection must use the same one.
 *
 * With a JSON or MessagePack codec, each packet is one message: the codec's encoding of
 * `{ type, nsp, data, id }`. With a schema codec ({@link createSchemaCodec}), an event with a
 * schema is one tag byte, the namespace, the ack id when there is one, then the schema's
 * bytes; every other packet is a tag byte and `fallback`'s encoding.
 *
 * Every decoded packet is checked as socket.io-parser checks its own: a known type, a
 * namespace that starts with `/`, an ack id that is a non-negative integer, an event that is an
 * array starting with a name that is not reserved. Anything else throws, and Socket.IO closes
 * that connection; the server and its other clients carry on.
 *
 * @param codec - The encoding.
 * @param options - For schema codecs: `fallback`, `allowUnknownEvents`; `maxNamespaceLength`.
 * @example
 * ```ts
 * const parser = createSocketIoParser(createMsgpackCodec());
 * const io = new Server(httpServer, { parser });
 * const socket = ioClient(url, { parser });
 * ```
 */
export function createSocketIoParser(
  codec: MessageCodec<unknown> | SchemaCodec,
  options: SocketIoParserOptions = {},
): SocketIoParser {
  const maxNamespaceLength = checkInteger(
    'maxNamespaceLength',
    options.maxNamespaceLength ?? 255,
    1,
    255,
  );
  const schema = isSchemaCodec(codec) ? codec : undefined;
  const generic = schema ? undefined : (codec as MessageCodec<unknown>);
  const fallback =
    options.fallback ?? (schema ? createMsgpackCodec() : (codec as MessageCodec<unknown>));
  const allowUnknownEvents = options.allowUnknownEvents ?? false;

  const encode = (packet: SocketIoPacket): Uint8Array => {
    const wire = toWire(packet);
    if (generic) return generic.encode(wire);
    const data = wire.data;
    if (wire.type === SOCKET_IO_PACKET_TYPES.EVENT && Array.isArray(data)) {
      const [event, ...args] = data as [unknown, ...unknown[]];
      if (typeof event === 'string' && schema?.hasEvent(event)) {
        return encodeSchemaEvent(schema, wire.nsp, wire.id, event, args);
      }
      if (!allowUnknownEvents) {
        throw encodingError(
          `socket.io parser: the event ${JSON.stringify(event)} has no schema (set allowUnknownEvents to send it with the fallback codec)`,
        );
      }
    }
    return concat([Uint8Array.of(TAG_FALLBACK), fallback.encode(wire)]);
  };

  const decode = (bytes: Uint8Array): SocketIoPacket => {
    if (generic) return checkPacket(generic.decode(bytes), maxNamespaceLength);
    if (bytes.byteLength === 0) throw encodingError('socket.io parser: an empty message');
    const tag = bytes[0];
    if (tag === TAG_FALLBACK) {
      const packet = checkPacket(fallback.decode(bytes.subarray(1)), maxNamespaceLength);
      if (packet.type === SOCKET_IO_PACKET_TYPES.EVENT && !allowUnknownEvents) {
        throw encodingError(
          `socket.io parser: the event ${JSON.stringify((packet.data as unknown[])[0])} came without a schema`,
        );
      }
      return packet;
    }
    if (tag === TAG_EVENT || tag === TAG_EVENT_WITH_ACK) {
      return decodeSchemaEvent(
        schema as SchemaCodec,
        bytes,
        tag === TAG_EVENT_WITH_ACK,
        maxNamespaceLength,
      );
    }
    throw encodingError(
      `socket.io parser: the first byte 0x${(tag as number).toString(16)} is not a packet kind (0, 1 or 2)`,
    );
  };

  class Encoder {
    encode(packet: SocketIoPacket): Uint8Array[] {
      return [encode(packet)];
    }
  }
  class Decoder extends EventEmitter implements SocketIoDecoder {
    add(chunk: unknown): void {
      let bytes: Uint8Array;
      if (chunk instanceof Uint8Array) bytes = chunk;
      else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
      else
        throw encodingError(
          `socket.io parser: expected a binary message, got ${typeof chunk === 'string' ? 'text' : typeof chunk}`,
        );
      this.emit('decoded', decode(bytes));
    }
    destroy(): void {
      this.removeAllListeners();
    }
  }
  return { Encoder, Decoder };
}

function isSchemaCodec(codec: MessageCodec<unknown> | SchemaCodec): codec is SchemaCodec {
  return typeof (codec as Partial<SchemaCodec>).hasEvent === 'function';
}

/** The packet with only its defined fields, so every codec sees the same plain object. */
function toWire(packet: SocketIoPacket): SocketIoPacket {
  const wire: SocketIoPacket = { type: packet.type, nsp: packet.nsp };
  if (packet.data !== undefined) wire.data = packet.data;
  if (packet.id !== undefined) wire.id = packet.id;
  return wire;
}

function encodeSchemaEvent(
  codec: SchemaCodec,
  nsp: string,
  id: number | undefined,
  event: string,
  args: unknown[],
): Uint8Array {
  const name = Buffer.from(nsp);
  if (name.byteLength > 255)
    throw encodingError(`socket.io parser: the namespace is longer than 255 bytes`);
  const hasAck = id !== undefined;
  if (hasAck && id > 0xffff_ffff) {
    // Socket.IO counts ack ids from 0 per connection: 4 billion acks on one connection first.
    throw encodingError(
      `socket.io parser: the ack id ${id} does not fit the schema envelope's u32`,
    );
  }
  const head = Buffer.allocUnsafe(2 + name.byteLength + (hasAck ? 4 : 0));
  head[0] = hasAck ? TAG_EVENT_WITH_ACK : TAG_EVENT;
  head[1] = name.byteLength;
  head.set(name, 2);
  if (hasAck) head.writeUInt32BE(id, 2 + name.byteLength);
  return concat([head, codec.encode({ event, args } as never)]);
}

function decodeSchemaEvent(
  codec: SchemaCodec,
  bytes: Uint8Array,
  hasAck: boolean,
  maxNamespaceLength: number,
): SocketIoPacket {
  const length = bytes[1];
  const idBytes = hasAck ? 4 : 0;
  if (length === undefined || bytes.byteLength < 2 + length + idBytes) {
    throw encodingError('socket.io parser: truncated event header (namespace, ack id)');
  }
  let nsp: string;
  try {
    nsp = strictUtf8.decode(bytes.subarray(2, 2 + length));
  } catch (cause) {
    throw toEncodingError('socket.io parser: the namespace', cause);
  }
  checkNamespace(nsp, maxNamespaceLength);
  let at = 2 + length;
  let id: number | undefined;
  if (hasAck) {
    id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(at);
    at += 4;
  }
  const { event, args } = codec.decode(bytes.subarray(at));
  const packet: SocketIoPacket = {
    type: SOCKET_IO_PACKET_TYPES.EVENT,
    nsp,
    data: [event, ...args],
  };
  if (id !== undefined) packet.id = id;
  return packet;
}

function checkNamespace(nsp: unknown, max: number): asserts nsp is string {
  if (typeof nsp !== 'string' || !nsp.startsWith('/') || nsp.length > max) {
    throw encodingError(
      `socket.io parser: a namespace must be a string starting with "/" of at most ${max} characters`,
    );
  }
}

/** A fresh packet made of the checked fields of `value`, or a REALTIME_ERR_ENCODING error. */
function checkPacket(value: unknown, maxNamespaceLength: number): SocketIoPacket {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw encodingError('socket.io parser: a packet must be an object { type, nsp, data?, id? }');
  }
  const { type, nsp, data, id } = value as Record<string, unknown>;
  checkNamespace(nsp, maxNamespaceLength);
  if (id !== undefined && !(Number.isSafeInteger(id) && (id as number) >= 0)) {
    throw encodingError('socket.io parser: an ack id must be a non-negative integer');
  }
  const bad = (what: string): never => {
    throw encodingError(`socket.io parser: packet type ${String(type)}: ${what}`);
  };
  switch (type) {
    case SOCKET_IO_PACKET_TYPES.CONNECT:
      if (data !== undefined && !isPlainObject(data)) bad('the auth payload must be an object');
      break;
    case SOCKET_IO_PACKET_TYPES.DISCONNECT:
      if (data !== undefined) bad('carries no data');
      break;
    case SOCKET_IO_PACKET_TYPES.EVENT:
      if (!Array.isArray(data) || typeof data[0] !== 'string' || RESERVED_EVENTS.has(data[0])) {
        bad('an event must be an array starting with an event name that is not reserved');
      }
      break;
    case SOCKET_IO_PACKET_TYPES.ACK:
      if (!Array.isArray(data) || id === undefined) bad('an ack must be an array with an id');
      break;
    case SOCKET_IO_PACKET_TYPES.CONNECT_ERROR:
      if (typeof data !== 'string' && !isPlainObject(data))
        bad('a connect error must be a string or an object');
      break;
    default:
      throw encodingError(
        `socket.io parser: ${JSON.stringify(type)} is not a packet type (0 to 4)`,
      );
  }
  const packet: SocketIoPacket = { type: type as number, nsp };
  if (data !== undefined) packet.data = data;
  if (id !== undefined) packet.id = id as number;
  return packet;
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
