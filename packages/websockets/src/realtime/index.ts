/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export {
  createJsonCodec,
  createMsgpackCodec,
  createSchemaCodec,
  createSocketIoParser,
  DEFAULT_CODEC_MAX_MESSAGE_BYTES,
  type EventDefinition,
  type EventMessage,
  type EventSchemas,
  type JsonCodecOptions,
  type ListField,
  listOf,
  type MessageCodec,
  type MessageField,
  type MessageSchema,
  type MessageValue,
  type MsgpackCodecOptions,
  SCHEMA_HEADER_BYTES,
  SCHEMA_MAX_LIST_ITEMS,
  type SchemaCodec,
  type SchemaCodecOptions,
  SOCKET_IO_PACKET_TYPES,
  type SocketIoDecoder,
  type SocketIoPacket,
  type SocketIoParser,
  type SocketIoParserOptions,
} from './encoding/index.ts';
export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
