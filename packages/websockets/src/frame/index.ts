/**
 * The RFC 6455 §5 frame codec (W2), pure and without I/O: constants, masking, UTF-8 validation,
 * an incremental frame parser, a message assembler and the frame encoder.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  MessageAssembler,
  type MessageAssemblerEvent,
  type MessageAssemblerOptions,
} from './assembler.ts';
export {
  CLOSE_CODES,
  CLOSE_REASON_MAX_BYTES,
  type CloseCode,
  CONTROL_MAX_PAYLOAD_BYTES,
  isControlOpcode,
  isKnownOpcode,
  isValidCloseCodeOnWire,
  OPCODES,
  type Opcode,
} from './constants.ts';
export {
  type EncodeFrameOptions,
  encodeClose,
  encodeClosePayload,
  encodeFrame,
} from './encoder.ts';
export { MASK_KEY_BYTES, maskPayload } from './mask.ts';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  FRAME_MAX_HEADER_BYTES,
  type Frame,
  FrameParser,
  type FrameParserOptions,
  type FrameRole,
  type PartialPayload,
  type ReservedBit,
} from './parser.ts';
export { isValidUtf8, Utf8Validator } from './utf8.ts';
