/**
 * The app's REST routes, served by stage 5's notification service before its own: `POST /notify`
 * (API key, per-key rate limit, checked body), `GET /notifications` (the sender's history with
 * receipts for an API key, the user's inbox for a user token) and `POST /tokens`. Refusals are
 * stage 5's `{ error, message }` with their statuses.
 * @see https://www.rfc-editor.org/rfc/rfc6585#section-4 (429 Too Many Requests)
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  bearerToken,
  HTTP_ERRORS,
  HttpRefusal,
  NOTIFICATION_ID_PATTERN,
  type NotificationRoute,
  type NotificationService,
  type NotificationStore,
  RECIPIENT_PATTERN,
  readJsonBody,
  recipientKey,
  sendJson,
} from '@socketlab/distributed';
import { addressKey, KeyedLimiter } from '@socketlab/websockets/realtime';
import type { AppNotification, NotifyLimits, NotifyOutcome, NotifyResponse } from '../contract.ts';
import type { ApiKeys, UserTokens } from './auth.ts';
import { checkNotifyRequest, isExpired, NotifyRequestError } from './request.ts';
import type { RecordingStore, SentLog } from './sent-log.ts';

/** What the routes need. */
export interface RestOptions {
  readonly service: () => NotificationService;
  readonly store: NotificationStore;
  /** Lists the sender's history; `asSender` records in it as the store takes each notification. */
  readonly sentLog: SentLog;
  readonly asSender: RecordingStore['asSender'];
  readonly apiKeys: ApiKeys;
  readonly tokens: UserTokens;
  readonly limits: NotifyLimits;
  readonly now?: () => number;
  /** Told of each accepted notification and each refusal (for metrics). */
  readonly onOutcome?: (outcome: 'accepted' | 'duplicate' | number) => void;
  /** Told of each notification accepted here (not of duplicates), e.g. for webhooks. */
  readonly onAccepted?: (n: AppNotification) => void;
}

/** What {@link createRestRoutes} returns. */
export interface RestRoutes {
  readonly routes: NotificationRoute[];
  /**
   * The sender's name for a request with a valid API key, rate limited like the others.
   * @throws {HttpRefusal} `UNAUTHORIZED` or `TOO_MANY_REQUESTS`.
   */
  authorize(req: IncomingMessage): Promise<string>;
}

/** Page sizes of `GET /notifications`. */
const PAGE = { default: 50, max: 100 };

const tooMany = (waitMs: number, message: string) =>
  new HttpRefusal('TOO_MANY_REQUESTS', message, {
    'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
  });

/** A per-sender idempotency key per recipient, within stage 5's 128 characters. */
const scopedKey = (sender: string, key: string, recipient: string) =>
  createHash('sha256').update(`${sender}\n${key}\n${recipient}`).digest('base64url');

/** The app's routes. */
export function createRestRoutes(options: RestOptions): RestRoutes {
  const { store, sentLog, asSender, apiKeys, tokens, limits, onOutcome, onAccepted } = options;
  const now = options.now ?? Date.now;
  const perKey = new KeyedLimiter({
    capacity: limits.requestBurst,
    refillPerSecond: limits.requestsPerSecond,
  });
  const badKeys = new KeyedLimiter({
    capacity: limits.badKeyBurst,
    refillPerSecond: limits.badKeysPerSecond,
  });

  /** The sender of a request with a key, rate limited; refuses a wrong key (and a flood of them). */
  const sender = async (req: IncomingMessage): Promise<string> => {
    const address = addressKey(req.socket.remoteAddress);
    const presented = apiKeys.presented(req);
    const name = await apiKeys.check(presented);
    if (name === undefined) {
      const taken = badKeys.take(address);
      if (!taken.allowed) throw tooMany(taken.waitMs, 'too many requests with a wrong API key');
      throw new HttpRefusal(
        'UNAUTHORIZED',
        presented === undefined
          ? 'send your API key: X-API-Key: <key>'
          : 'this API key is not one of the server’s',
      );
    }
    const taken = perKey.take(name);
    if (!taken.allowed) {
      throw tooMany(
        taken.waitMs,
        `over ${limits.requestsPerSecond} requests a second for this API key`,
      );
    }
    return name;
  };

  const notify: NotificationRoute['handle'] = async (req, res) => {
    try {
      const from = await sender(req);
      const body = await readJsonBody(req, limits.maxBodyBytes);
      let checked: ReturnType<typeof checkNotifyRequest>;
      try {
        checked = checkNotifyRequest(body, {
          sender: from,
          now: now(),
          maxUsers: limits.maxUsers,
          maxTtlSeconds: limits.maxTtlSeconds,
        });
      } catch (error) {
        if (error instanceof NotifyRequestError) {
          throw new HttpRefusal('INVALID_NOTIFICATION', error.message);
        }
        throw error;
      }
      const outcomes: NotifyOutcome[] = [];
      for (const recipient of checked.recipients) {
        const key =
          checked.idempotencyKey === undefined
            ? undefined
            : scopedKey(from, checked.idempotencyKey, recipientKey(recipient));
        // recorded in the sender's history as it is stored (see recordWhenStored)
        const { notification, duplicate } = await asSender(from, () =>
          options.service().notify({
            ...recipient,
            ...checked.fields,
            ...(key === undefined ? {} : { idempotencyKey: key }),
          }),
        );
        if (!duplicate) onAccepted?.(notification as AppNotification);
        onOutcome?.(duplicate ? 'duplicate' : 'accepted');
        outcomes.push({ id: notification.id, ...recipient, duplicate });
      }
      sendJson(res, 202, { notifications: outcomes } satisfies NotifyResponse);
    } catch (error) {
      if (error instanceof HttpRefusal) onOutcome?.(HTTP_ERRORS[error.code]);
      throw error;
    }
  };

  const page = (url: URL) => {
    const after = url.searchParams.get('after');
    const limit = url.searchParams.get('limit');
    if (after !== null && !NOTIFICATION_ID_PATTERN.test(after)) {
      throw new HttpRefusal('INVALID_QUERY', 'after is a notification id');
    }
    const count = limit === null ? PAGE.default : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > PAGE.max) {
      throw new HttpRefusal('INVALID_QUERY', `limit is 1 to ${PAGE.max}`);
    }
    return { after: after ?? undefined, limit: count };
  };

  const routes: NotificationRoute[] = [
    { method: 'POST', path: '/notify', handle: notify },
    // stage 5's own path, the same way in: one place checks keys, limits and bodies
    { method: 'POST', path: '/notifications', handle: notify },
    {
      method: 'GET',
      path: '/notifications',
      async handle(req, res, url) {
        const { after, limit } = page(url);
        const topic = url.searchParams.get('topic');
        if (topic !== null && !RECIPIENT_PATTERN.test(topic)) {
          throw new HttpRefusal('INVALID_QUERY', 'topic is 1 to 64 of A-Z a-z 0-9 _ . : @ -');
        }
        const user = await tokens.authenticate(bearerToken(req) ?? '');
        if (user !== undefined) {
          const key = recipientKey(topic === null ? { user } : { topic });
          const at = now();
          const notifications = (await store.list(key, { after, limit })).filter(
            (n) => !isExpired(n, at),
          );
          sendJson(res, 200, { notifications, next: notifications.at(-1)?.id ?? null });
          return;
        }
        const from = await sender(req);
        const notifications = await sentLog.list(from, after, limit);
        sendJson(res, 200, { notifications, next: notifications.at(-1)?.id ?? null });
      },
    },
    {
      method: 'POST',
      path: '/tokens',
      async handle(req, res) {
        await sender(req);
        const body = (await readJsonBody(req, 1024)) as { user?: unknown } | null;
        const user = body?.user;
        if (typeof user !== 'string' || !RECIPIENT_PATTERN.test(user)) {
          throw new HttpRefusal(
            'INVALID_QUERY',
            'the body is { "user": "<1 to 64 of A-Z a-z 0-9 _ . : @ ->" }',
          );
        }
        sendJson(res, 201, tokens.issue(user));
      },
    },
  ];
  return { routes, authorize: sender };
}
