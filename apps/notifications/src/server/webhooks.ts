/**
 * Outbound webhooks for other systems: every notification a sender posts here is delivered to
 * each configured URL by stage 5's `WebhookSender` (signed `Webhook-Signature`, the same
 * `Webhook-Id` on every attempt, retries with jittered backoff, dead letters), and each delivery's
 * progress is kept in a bounded log that `GET /webhooks` (API key) shows whole. A user's
 * dashboard sees only the deliveries of notifications addressed to that user, as
 * {@link WebhookDeliveryView}s: the receiver's host, never its path, query or the secret.
 * @see https://www.standardwebhooks.com/
 */
import {
  type NotificationRoute,
  sendJson,
  WebhookSender,
  type WebhookSenderOptions,
} from '@socketlab/distributed';
import type { AppNotification, WebhookDelivery, WebhookDeliveryView } from '../contract.ts';

/** The event type of a notification's webhook. */
export const WEBHOOK_EVENT_TYPE = 'notification.created';

/** Options of {@link createWebhooks}. */
export interface WebhooksOptions {
  readonly urls: readonly string[];
  readonly secret: string;
  /** Stage 5's sender options (attempts, backoff, timeout). */
  readonly sender?: Omit<WebhookSenderOptions, 'secrets'>;
  /** Deliveries kept in the log. @default 1000 */
  readonly maxLog?: number;
  /** The sender of a request with an API key (the REST routes' check). */
  readonly authorize: (req: Parameters<NotificationRoute['handle']>[0]) => Promise<string>;
  /**
   * Told when a delivery of a notification addressed to `user` begins or changes (the app pushes
   * it to that user's sockets). Topic notifications have no one user: they are not told.
   */
  readonly onChange?: (user: string, view: WebhookDeliveryView) => void;
}

/** The app's webhooks. */
export interface Webhooks {
  /** Delivers `n` to every URL (in the background). */
  deliver(n: AppNotification): void;
  readonly route: NotificationRoute;
  readonly sender: WebhookSender;
  /** The deliveries of `user`'s own notifications, newest first, at most `limit`. */
  forUser(user: string, limit: number): WebhookDeliveryView[];
  close(): void;
}

/** The longest error text a view carries. */
const MAX_VIEW_ERROR = 200;

/**
 * What a user may see of `delivery`: the notification's `title`, the receiver's host, and the
 * error with every part of the URL beyond the host taken out (an error message could quote the
 * URL, and a path, query or user-info often holds a token).
 */
export function webhookView(delivery: WebhookDelivery, title: string): WebhookDeliveryView {
  const url = new URL(delivery.url);
  let error = delivery.error;
  if (error !== null) {
    const hidden = [delivery.url, url.href, `${url.pathname}${url.search}`, url.search, url.hash]
      .concat(url.username, url.password)
      .filter((part) => part !== '' && part !== '/')
      .sort((a, b) => b.length - a.length);
    for (const part of hidden) error = error.split(part).join('…');
    error = error.slice(0, MAX_VIEW_ERROR);
  }
  const { id, notification, state, attempts, status, updatedAt } = delivery;
  return { id, notification, title, host: url.host, state, attempts, status, error, updatedAt };
}

/** A log entry: the delivery as `GET /webhooks` shows it, and whose notification it was. */
interface LogEntry {
  readonly delivery: { -readonly [K in keyof WebhookDelivery]: WebhookDelivery[K] };
  /** The notification's user; `undefined` for a topic's (no user sees it). */
  readonly user: string | undefined;
  readonly title: string;
}

/** Makes the webhooks of `options.urls` (each http: or https:). @throws {TypeError} for a bad URL. */
export function createWebhooks(options: WebhooksOptions): Webhooks {
  for (const url of options.urls) {
    // parsed here, not at the first delivery: a view shows the host, and a bad URL is an operator's mistake
    if (!/^https?:\/\/./.test(url) || !URL.canParse(url)) {
      throw new TypeError(`a webhook URL is http(s)://…, got ${url}`);
    }
  }
  const sender = new WebhookSender({ ...options.sender, secrets: options.secret });
  const maxLog = options.maxLog ?? 1000;
  const log = new Map<string, LogEntry>();
  const changed = (entry: LogEntry) => {
    if (entry.user !== undefined) {
      options.onChange?.(entry.user, webhookView(entry.delivery, entry.title));
    }
  };
  const update = (id: string, change: Partial<WebhookDelivery>) => {
    const entry = log.get(id);
    if (entry === undefined) return;
    Object.assign(entry.delivery, change, { updatedAt: Date.now() });
    changed(entry);
  };
  sender.on('attempt', (id, attempt, outcome) =>
    update(id, {
      attempts: attempt,
      status: outcome.status ?? null,
      error: outcome.kind === 'retryable' ? (outcome.error ?? `status ${outcome.status}`) : null,
    }),
  );
  sender.on('delivered', (id) => update(id, { state: 'delivered' }));
  sender.on('deadLetter', (letter) => update(letter.id, { state: 'dead' }));

  return {
    sender,
    deliver(n) {
      options.urls.forEach((url, i) => {
        const id = `${n.id}.${i}`;
        const entry: LogEntry = {
          delivery: {
            id,
            notification: n.id,
            url,
            state: 'pending',
            attempts: 0,
            status: null,
            error: null,
            updatedAt: Date.now(),
          },
          user: n.user,
          title: n.title,
        };
        log.set(id, entry);
        if (log.size > maxLog) log.delete(log.keys().next().value as string);
        changed(entry);
        try {
          void sender.send(url, WEBHOOK_EVENT_TYPE, n, { id });
        } catch (error) {
          update(id, {
            state: 'dead',
            error: error instanceof Error ? error.message : String(error),
          });
        }
      });
    },
    route: {
      method: 'GET',
      path: '/webhooks',
      async handle(req, res) {
        await options.authorize(req);
        sendJson(res, 200, { deliveries: [...log.values()].map((entry) => entry.delivery) });
      },
    },
    forUser(user, limit) {
      const views: WebhookDeliveryView[] = [];
      const entries = [...log.values()];
      for (let i = entries.length - 1; i >= 0 && views.length < limit; i--) {
        const entry = entries[i] as (typeof entries)[number];
        if (entry.user === user) views.push(webhookView(entry.delivery, entry.title));
      }
      return views;
    },
    close: () => sender.close(),
  };
}
