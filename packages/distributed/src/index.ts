/**
 * `@socketlab/distributed`, stage 5 of socketlab: scaling sockets out on real engines.
 * Everything public is re-exported here by name.
 */

export {
  DISTRIBUTED_ERROR_CODES,
  DistributedError,
  type DistributedErrorCode,
} from './errors.ts';
// D16: webhooks and Server-Sent Events
export {
  createSseChannel,
  DEFAULT_SSE_MAX_LINE_LENGTH,
  formatSseComment,
  formatSseEvent,
  formatSseRetry,
  SSE_CHANNEL_DEFAULTS,
  SseChannel,
  type SseChannelEvents,
  type SseChannelOptions,
  type SseChannelStats,
  type SseClient,
  type SseClock,
  type SseDisconnectReason,
  type SseEvent,
  type SseParsed,
  SseParser,
} from './sse/index.ts';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  signWebhook,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WEBHOOK_SECRET_MIN_BYTES,
  WEBHOOK_SENDER_DEFAULTS,
  WEBHOOK_SIGNATURE_MAX_LENGTH,
  type WebhookAttemptOutcome,
  type WebhookClock,
  type WebhookDeadLetter,
  type WebhookEnvelope,
  type WebhookRejectReason,
  type WebhookRequestHeaders,
  type WebhookResult,
  type WebhookSecret,
  WebhookSender,
  type WebhookSenderEvents,
  type WebhookSenderOptions,
  type WebhookSenderStats,
  WebhookSignatureError,
} from './webhooks/index.ts';
