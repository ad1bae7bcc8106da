/**
 * A notification / chat microservice (D10) that integrates a socket server with REST and GraphQL
 * (D11): requests in over HTTP, live push out over Socket.IO and graphql-ws, fanned out over Redis.
 */
export { jwtAuthenticate } from './auth.ts';
export { NotificationFeed, type NotificationListener } from './feed.ts';
export { NOTIFICATION_SCHEMA_SDL } from './graphql.ts';
export {
  bearerToken,
  HTTP_ERRORS,
  type HttpErrorCode,
  HttpRefusal,
  type Route as NotificationRoute,
  readJsonBody,
  sendJson,
} from './http.ts';
export {
  createNotificationId,
  DEFAULT_NOTIFICATION_TYPE,
  IDEMPOTENCY_KEY_PATTERN,
  NOTIFICATION_ID_PATTERN,
  type NotificationRecipient,
  type NotificationRequest,
  parseNotificationRequest,
  RECIPIENT_PATTERN,
  readServiceNotification,
  recipientKey,
  type ServiceNotification,
} from './notification.ts';
export {
  createNotificationService,
  NOTIFICATION_SERVICE_DEFAULTS,
  type NotificationAuthenticate,
  type NotificationCluster,
  type NotificationService,
  type NotificationServiceOptions,
  type NotificationServiceStats,
} from './service.ts';
export { NOTIFICATION_EVENTS } from './sockets.ts';
export {
  type HistoryQuery,
  MEMORY_STORE_DEFAULTS,
  MemoryNotificationStore,
  type MemoryNotificationStoreOptions,
  type NotificationStore,
  type StorePutResult,
} from './store.ts';
