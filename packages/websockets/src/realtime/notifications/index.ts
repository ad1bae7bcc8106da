/**
 * Real-time notifications on Socket.IO (W12): per-user channels, acknowledged delivery, a bounded
 * store of what is not acknowledged yet (delivered again on reconnect), and the client's half that
 * deduplicates by id and acknowledges.
 */

export {
  type NotificationReceiver,
  type NotificationSocket,
  type ReceiveNotificationsOptions,
  receiveNotifications,
} from './client.ts';
export {
  attachNotifications,
  type NotificationHub,
  type NotificationHubOptions,
  type NotificationServerToClientEvents,
  type NotifyResult,
} from './hub.ts';
export {
  createNotification,
  NOTIFICATION_LIMITS,
  type Notification,
  type NotificationData,
  type NotificationInput,
  type NotificationLimits,
  readNotification,
} from './notification.ts';
export { type PendingClock, PendingStore, type PendingStoreOptions } from './pending.ts';
