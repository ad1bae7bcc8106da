/**
 * `@socketlab/app-notifications`: the notifications server, its client and its contract.
 * Everything public is re-exported here by name.
 */

export { connectInbox, type Inbox, type InboxOptions } from './client.ts';
export {
  API_KEY_HEADER,
  type AppNotification,
  type ClientToServerEvents,
  type HttpRefusalBody,
  type InboxPage,
  MAX_WEBHOOK_VIEWS,
  NOTIFY_EVENTS,
  NOTIFY_LIMITS,
  type NotificationMeta,
  type NotifyLimits,
  type NotifyOutcome,
  type NotifyRequestBody,
  type NotifyResponse,
  PRICES,
  PRIORITIES,
  type PriceValue,
  type Priority,
  type ResumeRequest,
  type SentPage,
  type SentRecord,
  type ServerToClientEvents,
  type SocketAck,
  type SocketErrorCode,
  TELEMETRY,
  type TelemetryUpdate,
  type TokenResponse,
  type WebhookDelivery,
  type WebhookDeliveryView,
  type WebhooksReply,
} from './contract.ts';
export {
  DEFAULT_WEB_DIR,
  type NotifyApp,
  type NotifyAppOptions,
  startNotifyApp,
} from './server/app.ts';
export {
  curlExample,
  NOTIFY_CLI_DEFAULTS,
  NOTIFY_CLI_HELP,
  runNotifyCli,
} from './server/command.ts';
