/**
 * What the notification service accepts and sends, pure: a request from a REST body or a GraphQL
 * mutation (hostile until checked) becomes a routed notification with a time-ordered id. The
 * fields a client sees are stage 4's `Notification` (W12), so its `receiveNotifications` reads
 * them; the service adds who it is for.
 */
import { randomBytes } from 'node:crypto';
import {
  createNotification,
  type Notification,
  type NotificationLimits,
} from '@socketlab/websockets/realtime';
import { DistributedError } from '../errors.ts';

/** A notification as the service stores and pushes it: for one user, or for everyone on a topic. */
export type ServiceNotification = Notification &
  (
    | { readonly user: string; readonly topic?: never }
    | { readonly topic: string; readonly user?: never }
  );

/** Who a notification is for. */
export type NotificationRecipient = { readonly user: string } | { readonly topic: string };

/** A checked request to send a notification. */
export interface NotificationRequest {
  readonly recipient: NotificationRecipient;
  readonly type: string;
  readonly title: string;
  readonly body?: string;
  readonly data?: unknown;
  /** The caller's key: a second request with it gets the first one's id, and nothing is sent twice. */
  readonly idempotencyKey?: string;
}

/** A user id, a topic name or an idempotency key: 1 to 64 of `A-Z a-z 0-9 _ . : @ -`. */
export const RECIPIENT_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** The idempotency key's syntax: 1 to 128 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The ids {@link createNotificationId} makes: `<ms, base 36, 9>-<sequence, base 36, 6>-<8 hex>`. */
export const NOTIFICATION_ID_PATTERN = /^[0-9a-z]{9}-[0-9a-z]{6}-[0-9a-f]{8}$/;

/** The `type` a request without one gets. */
export const DEFAULT_NOTIFICATION_TYPE = 'notification';

const fail = (message: string): DistributedError =>
  new DistributedError('DISTRIBUTED_ERR_PAYLOAD', message);

let lastMs = 0;
let sequence = 0;

/**
 * A new id that sorts by time: ids made later in this process sort after earlier ones (even in the
 * same millisecond), and ids from other instances sort by their clocks. The history's `after`
 * cursor compares them as strings.
 * @param now the time, in ms since the epoch. @default Date.now()
 */
export function createNotificationId(now: number = Date.now()): string {
  const ms = Math.max(now, lastMs);
  sequence = ms === lastMs ? sequence + 1 : 0;
  lastMs = ms;
  return `${ms.toString(36).padStart(9, '0')}-${sequence.toString(36).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
}

/** The room of a recipient: `user:<id>` or `topic:<name>` (Socket.IO rooms, history keys). */
export function recipientKey(recipient: NotificationRecipient): string {
  return 'user' in recipient ? `user:${recipient.user}` : `topic:${recipient.topic}`;
}

/**
 * Checks a request body (`{ user | topic, type?, title, body?, data?, idempotencyKey? }`).
 * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` naming the first field that is wrong.
 */
export function parseNotificationRequest(
  value: unknown,
  limits: Partial<NotificationLimits> = {},
): NotificationRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(
      'the body is a JSON object { user | topic, title, body?, type?, data?, idempotencyKey? }',
    );
  }
  const v = value as Record<string, unknown>;
  const known = ['user', 'topic', 'type', 'title', 'body', 'data', 'idempotencyKey'];
  const unknown = Object.keys(v).find((key) => !known.includes(key));
  if (unknown !== undefined) throw fail(`unknown field ${JSON.stringify(unknown.slice(0, 40))}`);
  if ((v.user === undefined) === (v.topic === undefined)) {
    throw fail('exactly one of user and topic names the recipient');
  }
  const name = v.user ?? v.topic;
  if (typeof name !== 'string' || !RECIPIENT_PATTERN.test(name)) {
    throw fail(`${v.user !== undefined ? 'user' : 'topic'} is 1 to 64 of A-Z a-z 0-9 _ . : @ -`);
  }
  if (
    v.idempotencyKey !== undefined &&
    (typeof v.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(v.idempotencyKey))
  ) {
    throw fail('idempotencyKey is 1 to 128 printable ASCII characters');
  }
  const type = v.type ?? DEFAULT_NOTIFICATION_TYPE;
  let checked: Notification;
  try {
    // stage 4's checks of type, title, body and data (length, depth, size, JSON)
    checked = createNotification(
      { type, title: v.title, body: v.body, data: v.data },
      'x',
      0,
      limits,
    );
  } catch (error) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      error instanceof Error ? error.message : String(error),
      { cause: error },
    );
  }
  return {
    recipient: v.user !== undefined ? { user: name } : { topic: name },
    type: checked.type,
    title: checked.title,
    ...(checked.body === undefined ? {} : { body: checked.body }),
    ...(checked.data === undefined ? {} : { data: checked.data }),
    ...(v.idempotencyKey === undefined ? {} : { idempotencyKey: v.idempotencyKey as string }),
  };
}

/** The notification a checked request becomes, with `id` and `at`. */
export function toServiceNotification(
  request: NotificationRequest,
  id: string,
  at: number,
): ServiceNotification {
  const { recipient, type, title, body, data } = request;
  return {
    id,
    type,
    title,
    ...(body === undefined ? {} : { body }),
    ...(data === undefined ? {} : { data: data as Notification['data'] }),
    at,
    ...recipient,
  } as ServiceNotification;
}

/**
 * What an instance checks before trusting a notification another instance published: the shape
 * {@link toServiceNotification} makes. @returns a new object with only its known fields, or `undefined`.
 */
export function readServiceNotification(value: unknown): ServiceNotification | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const n = value as Record<string, unknown>;
  if (typeof n.id !== 'string' || !NOTIFICATION_ID_PATTERN.test(n.id)) return undefined;
  if (typeof n.at !== 'number') return undefined;
  const name = n.user ?? n.topic;
  if ((n.user === undefined) === (n.topic === undefined)) return undefined;
  if (typeof name !== 'string' || !RECIPIENT_PATTERN.test(name)) return undefined;
  let checked: Notification;
  try {
    checked = createNotification(n, n.id, n.at); // a new object: only the known fields, data copied
  } catch {
    return undefined;
  }
  return {
    ...checked,
    ...(n.user !== undefined ? { user: name } : { topic: name }),
  } as ServiceNotification;
}
