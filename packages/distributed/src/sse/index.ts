export {
  createSseChannel,
  SSE_CHANNEL_DEFAULTS,
  SseChannel,
  type SseChannelEvents,
  type SseChannelOptions,
  type SseChannelStats,
  type SseClient,
  type SseClock,
  type SseDisconnectReason,
} from './channel.ts';
export { formatSseComment, formatSseEvent, formatSseRetry, type SseEvent } from './format.ts';
export { DEFAULT_SSE_MAX_LINE_LENGTH, type SseParsed, SseParser } from './parser.ts';
