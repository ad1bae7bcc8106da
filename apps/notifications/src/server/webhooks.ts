/**
 * Outbound webhooks for other systems: every notification a sender posts here is delivered to
 * each configured URL by stage 5's `WebhookSender` (signed `Webhook-Signature`, the same
 * `Webhook-Id` on every attempt, retries with jittered backoff, dead letters), and each delivery's
 * progress is kept in a bounded log that `GET /webhooks` (API key) shows.
 * @see https://www.standardwebhooks.com/
 */
import {
  type NotificationRoute,
  sendJson,
  WebhookSender,
  type WebhookSenderOptions,
} from '@socketlab/distributed';
import type { AppNotification, WebhookDelivery } from '../contract.ts';

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
}

/** The app's webhooks. */
export interface Webhooks {
  /** Delivers `n` to every URL (in the background). */
  deliver(n: AppNotification): void;
  readonly route: NotificationRoute;
  readonly sender: WebhookSender;
  close(): void;
}

/** Makes the webhooks of `options.urls` (each http: or https:). @throws {TypeError} for a bad URL. */
export function createWebhooks(options: WebhooksOptions): Webhooks {
  for (const url of options.urls) {
    if (!/^https?:\/\/./.test(url)) throw new TypeError(`a webhook URL is http(s)://…, got ${url}`);
  }
  const sender = new WebhookSender({ ...options.sender, secrets: options.secret });
  const maxLog = options.maxLog ?? 1000;
  const log = new Map<string, WebhookDelivery & { status: number | null; error: string | null }>();
  const update = (id: string, change: Partial<WebhookDelivery>) => {
    const entry = log.get(id);
    if (entry !== undefined) Object.assign(entry, change, { updatedAt: Date.now() });
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
        log.set(id, {
          id,
          notification: n.id,
          url,
          state: 'pending',
          attempts: 0,
          status: null,
          error: null,
          updatedAt: Date.now(),
        });
        if (log.size > maxLog) log.delete(log.keys().next().value as string);
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
        sendJson(res, 200, { deliveries: [...log.values()] });
      },
    },
    close: () => sender.close(),
  };
}
