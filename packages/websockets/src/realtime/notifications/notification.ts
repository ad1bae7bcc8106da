/**
 * What a notification is, and the checks that make one from a server caller's input (which may
 * come from a REST body: it is hostile too) and that a client applies to what it receives.
 */

import { jsonDepthWithin } from '../chat/index.ts';
import { RealtimeError } from '../errors.ts';

/** A JSON value, as `data` carries it. */
export type NotificationData =
  | string
  | number
  | boolean
  | null
  | NotificationData[]
  | { [key: string]: NotificationData };

/** One notification as delivered: everything but the input's fields is set by the server. */
export interface Notification {
  /** The server's id: the client acknowledges it and drops a second delivery with the same id. */
  readonly id: string;
  /** What kind it is (`'mention'`, `'invoice.paid'` …): the client chooses how to show it. */
  readonly type: string;
  readonly title: string;
  readonly body?: string;
  readonly data?: NotificationData;
  /** When the server accepted it, in ms since the epoch. */
  readonly at: number;
}

/** What {@link NotificationHub.notify} takes. */
export interface NotificationInput {
  readonly type: string;
  readonly title: string;
  readonly body?: string;
  /** Any JSON value, at most `maxDataDepth` deep and `maxDataBytes` as JSON. */
  readonly data?: unknown;
}

/** The limits on a notification, each with its default in {@link NOTIFICATION_LIMITS}. */
export interface NotificationLimits {
  /** @default 64 */
  maxTypeLength: number;
  /** @default 200 */
  maxTitleLength: number;
  /** @default 2000 */
  maxBodyLength: number;
  /** @default 8 */
  maxDataDepth: number;
  /** The size of `data` as JSON, in UTF-16 code units. @default 8192 */
  maxDataBytes: number;
  /** @default 128 */
  maxIdLength: number;
}

/** The default {@link NotificationLimits}. */
export const NOTIFICATION_LIMITS: Readonly<NotificationLimits> = Object.freeze({
  maxTypeLength: 64,
  maxTitleLength: 200,
  maxBodyLength: 2000,
  maxDataDepth: 8,
  maxDataBytes: 8192,
  maxIdLength: 128,
});

const payloadError = (message: string): RealtimeError =>
  new RealtimeError('REALTIME_ERR_PAYLOAD', message);

function checkString(value: unknown, name: string, max: number, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw payloadError(`a notification's ${name} is a string of 1 to ${max} characters`);
  }
}

/**
 * Makes a notification from `input`, with the given `id` and `at`: a new object whose `data` is a
 * JSON copy, so nothing a caller passed is emitted as it came.
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` when a field is missing, too long, or `data` is
 * not JSON, nests too deeply or is too big.
 */
export function createNotification(
  input: unknown,
  id: string,
  at: number,
  limits: Partial<NotificationLimits> = {},
): Notification {
  const l = { ...NOTIFICATION_LIMITS, ...limits };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw payloadError('a notification is an object { type, title, body?, data? }');
  }
  const { type, title, body, data } = input as Record<string, unknown>;
  checkString(type, 'type', l.maxTypeLength);
  checkString(title, 'title', l.maxTitleLength);
  checkString(body, 'body', l.maxBodyLength, true);
  const notification: { -readonly [K in keyof Notification]: Notification[K] } = {
    id,
    type: type as string,
    title: title as string,
    at,
  };
  if (body !== undefined) notification.body = body as string;
  if (data !== undefined) {
    if (!jsonDepthWithin(data, l.maxDataDepth)) {
      throw payloadError(`a notification's data nests deeper than ${l.maxDataDepth} levels`);
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (cause) {
      throw new RealtimeError('REALTIME_ERR_PAYLOAD', "a notification's data is not JSON", {
        cause,
      });
    }
    if (json === undefined) throw payloadError("a notification's data is not JSON");
    if (json.length > l.maxDataBytes) {
      throw payloadError(`a notification's data is over ${l.maxDataBytes} characters as JSON`);
    }
    notification.data = JSON.parse(json) as NotificationData;
  }
  return notification;
}

/**
 * What a client checks before trusting a delivery: a notification's shape, with `data` within
 * the depth limit. @returns it (as received: the client does not relay it), or `undefined`.
 */
export function readNotification(
  value: unknown,
  limits: Partial<NotificationLimits> = {},
): Notification | undefined {
  const l = { ...NOTIFICATION_LIMITS, ...limits };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const n = value as Record<string, unknown>;
  const isString = (v: unknown, max: number) =>
    typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!isString(n.id, l.maxIdLength) || !isString(n.type, l.maxTypeLength)) return undefined;
  if (!isString(n.title, l.maxTitleLength) || typeof n.at !== 'number') return undefined;
  if (n.body !== undefined && !isString(n.body, l.maxBodyLength)) return undefined;
  if (n.data !== undefined && !jsonDepthWithin(n.data, l.maxDataDepth)) return undefined;
  return value as Notification;
}
