/**
 * `POST /notify`'s body, checked without trusting it: who it is for (one user, a list, or a
 * topic), how long it is worth delivering and how urgent it is. Pure; the title, body, type and
 * data are then checked by stage 5's `parseNotificationRequest` (stage 4's limits), once, before
 * anything is sent, so a bad request sends nothing to anyone.
 */
import {
  IDEMPOTENCY_KEY_PATTERN,
  type NotificationRequest,
  parseNotificationRequest,
  RECIPIENT_PATTERN,
} from '@socketlab/distributed';
import type { NotificationLimits } from '@socketlab/websockets/realtime';
import { type NotificationMeta, PRIORITIES, type Priority } from '../contract.ts';

/** A request body that is JSON but not a notification: the message names the field. */
export class NotifyRequestError extends Error {
  override name = 'NotifyRequestError';
}

/** A checked `POST /notify`: the recipients, and the body stage 5's service takes for each. */
export interface CheckedNotify {
  readonly recipients: readonly ({ user: string } | { topic: string })[];
  /** Everything but the recipient, for `service.notify({ ...recipient, ...fields })`. */
  readonly fields: {
    readonly title: string;
    readonly body?: string;
    readonly type?: string;
    readonly data: NotificationMeta;
  };
  readonly idempotencyKey?: string;
}

const KNOWN = new Set([
  'user',
  'users',
  'topic',
  'title',
  'body',
  'type',
  'data',
  'ttl',
  'priority',
  'idempotencyKey',
]);

const fail = (message: string): never => {
  throw new NotifyRequestError(message);
};

const name = (field: string, value: unknown): string =>
  typeof value === 'string' && RECIPIENT_PATTERN.test(value)
    ? value
    : fail(`${field} is 1 to 64 of A-Z a-z 0-9 _ . : @ -`);

/**
 * Checks a parsed JSON body.
 * @param sender the API key's name, recorded in the notification.
 * @param now the time the `ttl` counts from, ms since the epoch.
 * @throws {NotifyRequestError} naming the field that is wrong.
 */
export function checkNotifyRequest(
  value: unknown,
  options: {
    sender: string;
    now: number;
    maxUsers: number;
    maxTtlSeconds: number;
    limits?: Partial<NotificationLimits>;
  },
): CheckedNotify {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('the body is a JSON object { user | users | topic, title, body?, ttl?, priority?, … }');
  }
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).find((key) => !KNOWN.has(key));
  if (unknown !== undefined) fail(`unknown field ${JSON.stringify(unknown.slice(0, 40))}`);
  const given = ['user', 'users', 'topic'].filter((key) => v[key] !== undefined);
  if (given.length !== 1) fail('exactly one of user, users and topic names the recipients');

  let recipients: ({ user: string } | { topic: string })[];
  if (v.users !== undefined) {
    if (!Array.isArray(v.users) || v.users.length === 0 || v.users.length > options.maxUsers) {
      fail(`users is a list of 1 to ${options.maxUsers} user ids`);
    }
    const users = (v.users as unknown[]).map((u, i) => name(`users[${i}]`, u));
    recipients = [...new Set(users)].map((user) => ({ user }));
  } else if (v.user !== undefined) {
    recipients = [{ user: name('user', v.user) }];
  } else {
    recipients = [{ topic: name('topic', v.topic) }];
  }

  let expiresAt: number | null = null;
  if (v.ttl !== undefined) {
    const ttl = v.ttl;
    if (
      typeof ttl !== 'number' ||
      !Number.isInteger(ttl) ||
      ttl < 1 ||
      ttl > options.maxTtlSeconds
    ) {
      fail(`ttl is a whole number of seconds from 1 to ${options.maxTtlSeconds}`);
    }
    expiresAt = options.now + (ttl as number) * 1000;
  }
  const priority = (v.priority ?? 'normal') as Priority;
  if (!PRIORITIES.includes(priority)) fail(`priority is one of ${PRIORITIES.join(', ')}`);
  if (
    v.idempotencyKey !== undefined &&
    (typeof v.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(v.idempotencyKey))
  ) {
    fail('idempotencyKey is 1 to 128 printable ASCII characters');
  }

  const data: NotificationMeta = {
    priority,
    expiresAt,
    sender: options.sender,
    ...(v.data === undefined ? {} : { payload: v.data }),
  };
  const fields = {
    title: v.title as string,
    ...(v.body === undefined ? {} : { body: v.body as string }),
    ...(v.type === undefined ? {} : { type: v.type as string }),
    data,
  };
  let checked: NotificationRequest;
  try {
    // stage 4's checks of title, body, type and data (with the app's meta in it), once for all
    checked = parseNotificationRequest({ ...recipients[0], ...fields }, options.limits);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  return {
    recipients,
    fields: {
      title: checked.title,
      type: checked.type,
      ...(checked.body === undefined ? {} : { body: checked.body }),
      data,
    },
    ...(v.idempotencyKey === undefined ? {} : { idempotencyKey: v.idempotencyKey as string }),
  };
}

/** True when `n` carries a {@link NotificationMeta} whose `expiresAt` has passed. */
export function isExpired(n: { readonly data?: unknown }, now: number): boolean {
  const expiresAt = (n.data as Partial<NotificationMeta> | undefined)?.expiresAt;
  return typeof expiresAt === 'number' && expiresAt <= now;
}
