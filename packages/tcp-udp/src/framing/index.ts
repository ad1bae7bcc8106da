/**
 * Framing a byte stream into messages (T5): length-prefix, varint and line codecs, FramedSocket, an echo server.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export {
  DEFAULT_MAX_FRAME_BYTES,
  type FrameCodec,
  type FrameCodecOptions,
  type FrameDecoder,
} from './codec.ts';
export {
  type FramedEchoClientInfo,
  FramedEchoServer,
  type FramedEchoServerEvents,
  type FramedEchoServerOptions,
  listenFramedEchoServer,
} from './echo-server.ts';
export {
  encodeVarint,
  lengthPrefixCodec,
  U32_MAX_FRAME_BYTES,
  VARINT_MAX_FRAME_BYTES,
  VARINT_MAX_HEADER_BYTES,
  varintCodec,
} from './length-prefix.ts';
export {
  DEFAULT_MAX_LINE_BYTES,
  decodeLineText,
  encodeLineText,
  lineCodec,
} from './line-codec.ts';
export {
  codecForFraming,
  FRAMING_NAMES,
  type FramingName,
  isFramingName,
} from './name.ts';
export {
  type ConnectFramedOptions,
  connectFramed,
  FramedSocket,
  type FramedSocketOptions,
  type FramedTarget,
} from './socket.ts';
