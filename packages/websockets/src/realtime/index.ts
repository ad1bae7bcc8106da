/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export {
  attachChat,
  CHAT_LIMITS,
  CHAT_ROOM_PATTERN,
  type ChatAck,
  type ChatAckError,
  type ChatClientToServerEvents,
  type ChatHandle,
  ChatHistory,
  type ChatHistoryOptions,
  type ChatHistoryRequest,
  type ChatJoined,
  type ChatLimits,
  type ChatMessage,
  type ChatMessageInput,
  type ChatOptions,
  type ChatSent,
  type ChatServerToClientEvents,
  HistoryRing,
  jsonDepthWithin,
  type PresenceChange,
  type PresenceOptions,
  PresenceTracker,
  type TypingChange,
  type TypingOptions,
  type TypingStartResult,
  TypingTracker,
  validateChatMessage,
  validateRoomName,
} from './chat/index.ts';
export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
export {
  attachNotifications,
  createNotification,
  NOTIFICATION_LIMITS,
  type Notification,
  type NotificationData,
  type NotificationHub,
  type NotificationHubOptions,
  type NotificationInput,
  type NotificationLimits,
  type NotificationReceiver,
  type NotificationServerToClientEvents,
  type NotificationSocket,
  type NotifyResult,
  type PendingClock,
  PendingStore,
  type PendingStoreOptions,
  type ReceiveNotificationsOptions,
  readNotification,
  receiveNotifications,
} from './notifications/index.ts';
