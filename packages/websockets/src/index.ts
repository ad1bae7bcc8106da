/**
 * `@socketlab/websockets`, stage 4 of socketlab: WebSockets written from RFC 6455.
 * Everything public is re-exported here by name.
 */
export {
  WEBSOCKET_ERROR_CODES,
  WebSocketError,
  type WebSocketErrorCode,
  type WebSocketErrorOptions,
} from './errors.ts';

// The frame codec (RFC 6455 §5): pure, no I/O.
export {
  CLOSE_CODES,
  CLOSE_REASON_MAX_BYTES,
  type CloseCode,
  CONTROL_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type EncodeFrameOptions,
  encodeClose,
  encodeClosePayload,
  encodeFrame,
  FRAME_MAX_HEADER_BYTES,
  type Frame,
  FrameParser,
  type FrameParserOptions,
  type FrameRole,
  isControlOpcode,
  isKnownOpcode,
  isValidCloseCodeOnWire,
  isValidUtf8,
  MASK_KEY_BYTES,
  MessageAssembler,
  type MessageAssemblerEvent,
  type MessageAssemblerOptions,
  maskPayload,
  OPCODES,
  type Opcode,
  type PartialPayload,
  type ReservedBit,
  Utf8Validator,
} from './frame/index.ts';
