/**
 * Message encodings (W5): one {@link MessageCodec} interface with JSON, MessagePack and a
 * binary schema codec behind it, each usable as a Socket.IO parser. Other areas import this
 * area only through this file.
 */
export { DEFAULT_CODEC_MAX_MESSAGE_BYTES, type MessageCodec } from './codec.ts';
export { createJsonCodec, type JsonCodecOptions } from './json-codec.ts';
export { createMsgpackCodec, type MsgpackCodecOptions } from './msgpack-codec.ts';
export {
  type EventDefinition,
  type EventMessage,
  type EventSchemas,
  type ListField,
  listOf,
  type MessageField,
  type MessageSchema,
  type MessageValue,
  SCHEMA_MAX_LIST_ITEMS,
} from './schema.ts';
export {
  createSchemaCodec,
  SCHEMA_HEADER_BYTES,
  type SchemaCodec,
  type SchemaCodecOptions,
} from './schema-codec.ts';
export {
  createSocketIoParser,
  SOCKET_IO_PACKET_TYPES,
  type SocketIoDecoder,
  type SocketIoPacket,
  type SocketIoParser,
  type SocketIoParserOptions,
} from './socket-io-parser.ts';
