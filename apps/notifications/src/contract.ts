/**
 * The notifications app's contract in one file: the Socket.IO events both ways (typed event maps,
 * as socket.io's `Server<ClientToServer, ServerToClient>` takes them), the REST bodies and the
 * refusal codes. The server, the dashboard, the tests and the benchmark import it; the README's
 * tables say the same for people.
 */
import type { HttpErrorCode, ServiceNotification } from '@socketlab/distributed';

/** A notification's urgency: the dashboard shows `high` as an alert, `low` without a toast. */
export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * What the app adds to stage 5's notification. It travels in the notification's `data` (stage
 * 4's shape, which the service stores and fans out as it is), so every instance, the history and
 * every push channel carry it unchanged.
 */
export interface NotificationMeta {
  readonly priority: Priority;
  /** When it stops being worth delivering (ms since the epoch), from the request's `ttl`; `null`: never. */
  readonly expiresAt: number | null;
  /** Who posted it: the API key's name. */
  readonly sender: string;
  /** The caller's own `data`, as it sent it. */
  readonly payload?: unknown;
}

/** A notification as clients receive it: stage 5's, with {@link NotificationMeta} as `data`. */
export type AppNotification = ServiceNotification & { readonly data: NotificationMeta };

/** The body of `POST /notify`: exactly one of `user`, `users` and `topic`. */
export interface NotifyRequestBody {
  readonly user?: string;
  readonly users?: readonly string[];
  readonly topic?: string;
  readonly title: string;
  readonly body?: string;
  readonly type?: string;
  readonly data?: unknown;
  /** Seconds it is worth delivering for (1 to {@link NOTIFY_LIMITS}.maxTtlSeconds); default: forever. */
  readonly ttl?: number;
  /** @default 'normal' */
  readonly priority?: Priority;
  /** The caller's idempotency key: the same key again sends nothing and answers with the first ids. */
  readonly idempotencyKey?: string;
}

/** One recipient's outcome in a {@link NotifyResponse}. */
export interface NotifyOutcome {
  readonly id: string;
  readonly user?: string;
  readonly topic?: string;
  /** True when the idempotency key was seen before: nothing was sent again. */
  readonly duplicate: boolean;
}

/** `202` to `POST /notify`: one outcome per recipient, in the request's order. */
export interface NotifyResponse {
  readonly notifications: readonly NotifyOutcome[];
}

/** What the sender's history (`GET /notifications` with an API key) says of one notification. */
export interface SentRecord {
  readonly id: string;
  readonly user?: string;
  readonly topic?: string;
  readonly title: string;
  readonly priority: Priority;
  readonly at: number;
  readonly expiresAt: number | null;
  /** Users whose client acknowledged it (`delivered`), first ack first. */
  readonly deliveredTo: readonly string[];
  /** Users who opened it (`read`), first first. */
  readonly readBy: readonly string[];
}

/** `GET /notifications` with an API key: the key's notifications, newest last. */
export interface SentPage {
  readonly notifications: readonly SentRecord[];
  /** The cursor for the next page (`?after=`), `null` at the end. */
  readonly next: string | null;
}

/** `GET /notifications` with a user's token: the user's own notifications, oldest first. */
export interface InboxPage {
  readonly notifications: readonly AppNotification[];
  readonly next: string | null;
}

/** `POST /tokens` `{ user }` (with an API key) → a JWT for that user's dashboard and sockets. */
export interface TokenResponse {
  readonly user: string;
  readonly token: string;
  readonly expiresAt: number;
}

/** One webhook delivery in `GET /webhooks`: `id` is the `Webhook-Id` the receiver sees. */
export interface WebhookDelivery {
  readonly id: string;
  /** The notification delivered. */
  readonly notification: string;
  readonly url: string;
  /** `pending` (trying or waiting to retry), `delivered`, or `dead` (refused or out of attempts). */
  readonly state: 'pending' | 'delivered' | 'dead';
  readonly attempts: number;
  /** The last attempt's HTTP status, if it got one. */
  readonly status: number | null;
  /** Why the last attempt failed, if it did. */
  readonly error: string | null;
  readonly updatedAt: number;
}

/**
 * One webhook delivery as a user's dashboard sees it (the `webhooks` request and `webhook` pushes):
 * only deliveries of notifications addressed to that user, and nothing an operator keeps secret —
 * the receiver's host, never its path or query (a receiver URL often carries a token there), and
 * never the signing secret.
 */
export interface WebhookDeliveryView {
  /** The `Webhook-Id` the receiver sees. */
  readonly id: string;
  readonly notification: string;
  /** The notification's title. */
  readonly title: string;
  /** The receiver's host (and port), e.g. `hooks.example.com`. */
  readonly host: string;
  readonly state: WebhookDelivery['state'];
  readonly attempts: number;
  readonly status: number | null;
  /** Why the last attempt failed, if it did (at most 200 characters, the URL taken out). */
  readonly error: string | null;
  readonly updatedAt: number;
}

/** The answer to `webhooks`: `configured` is false on a server without webhooks. */
export interface WebhooksReply {
  readonly configured: boolean;
  /** The user's deliveries, newest first, at most {@link MAX_WEBHOOK_VIEWS}. */
  readonly deliveries: readonly WebhookDeliveryView[];
}

/** Deliveries one `webhooks` answer carries at most (the dashboard shows as many). */
export const MAX_WEBHOOK_VIEWS = 50;

/** Every refusal's body. `error` is stage 5's {@link HttpErrorCode}. */
export interface HttpRefusalBody {
  readonly error: HttpErrorCode;
  readonly message: string;
}

/** Why a socket request was refused. */
export type SocketErrorCode = 'INVALID_TOPIC' | 'INVALID_REQUEST' | 'UNKNOWN_NOTIFICATION';

export type SocketAck<T extends object = object> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly error: SocketErrorCode; readonly message?: string };

/** `resume`'s request: where the client's list ends, and the topics it follows. */
export interface ResumeRequest {
  /** The id of the newest notification the client has; `null` or absent: everything kept. */
  readonly after?: string | null;
  /** Topics to follow from now on (joined before the catch-up is read, so nothing falls between). */
  readonly topics?: readonly string[];
}

/** Socket.IO events a client sends. */
export interface ClientToServerEvents {
  /** Follow a topic. */
  subscribe(topic: string, ack: (reply: SocketAck<{ topic: string }>) => void): void;
  /** Stop following a topic. */
  unsubscribe(topic: string, ack: (reply: SocketAck<{ topic: string }>) => void): void;
  /**
   * Catch up after (re)connecting: the user's and the topics' notifications after `after`, oldest
   * first, unexpired, at most `maxResume` (`more`: ask again after the last one). Live
   * `notification`s can arrive meanwhile: a client merges by id.
   */
  resume(
    request: ResumeRequest,
    ack: (reply: SocketAck<{ notifications: AppNotification[]; more: boolean }>) => void,
  ): void;
  /** Delivery acks: these ids reached the client (recorded in the sender's history). */
  delivered(ids: readonly string[], ack: (reply: SocketAck<{ recorded: number }>) => void): void;
  /** A read receipt: the user opened this notification. */
  read(id: string, ack: (reply: SocketAck) => void): void;
  /** The webhook deliveries of the user's own notifications (this instance's log). */
  webhooks(ack: (reply: SocketAck<WebhooksReply>) => void): void;
}

/** Socket.IO events the server sends. */
export interface ServerToClientEvents {
  notification(notification: AppNotification): void;
  /** A webhook delivery of one of the user's notifications began or changed. */
  webhook(delivery: WebhookDeliveryView): void;
}

/** The names of {@link ClientToServerEvents} and {@link ServerToClientEvents}. */
export const NOTIFY_EVENTS = Object.freeze({
  notification: 'notification',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  resume: 'resume',
  delivered: 'delivered',
  read: 'read',
  webhooks: 'webhooks',
  webhook: 'webhook',
} as const);

/**
 * The telemetry feed (with `--mqtt`): connect to the namespace with the same `auth: { token }`;
 * each `event` is a batch of the latest value per MQTT topic, and the next batch comes after the
 * client acks this one (`socket.on('telemetry', (batch, ack) => { …; ack(); })`).
 */
export const TELEMETRY = Object.freeze({ namespace: '/telemetry', event: 'telemetry' } as const);

/** The price feed (with `--grpc`): the same protocol as {@link TELEMETRY}, keyed by symbol. */
export const PRICES = Object.freeze({ namespace: '/prices', event: 'price' } as const);

/** A price feed value: the latest price of its symbol (the key), the feed's sequence and time. */
export interface PriceValue {
  readonly price: number;
  readonly sequence: number;
  readonly timestamp: number;
}

/** One entry of a telemetry batch: an MQTT topic and its latest value. */
export interface TelemetryUpdate {
  readonly key: string;
  readonly value: unknown;
}

/** The header that carries an API key on REST calls (`Authorization: Bearer <key>` works too). */
export const API_KEY_HEADER = 'x-api-key';

/** The app's limits and their defaults; each is an option of `startNotifyApp`. */
export const NOTIFY_LIMITS = Object.freeze({
  /** Largest request body, bytes (413 beyond). */
  maxBodyBytes: 64 * 1024,
  /** Users in one `POST /notify`. */
  maxUsers: 100,
  /** Longest `ttl`, seconds (7 days). */
  maxTtlSeconds: 7 * 24 * 3600,
  /** Notifications kept per user and per topic (the oldest go first). */
  historyPerRecipient: 100,
  /** Notifications one `resume` returns at most. */
  maxResume: 500,
  /** Topics one socket follows at most. */
  maxTopicsPerSocket: 50,
  /** Sent records kept per API key, with their receipts. */
  sentPerKey: 1000,
  /** Requests per second per API key, and the burst above it (429 beyond). */
  requestsPerSecond: 50,
  requestBurst: 100,
  /** Requests with a wrong key per second per client address, and the burst (429 beyond). */
  badKeysPerSecond: 1,
  badKeyBurst: 10,
  /**
   * Socket.IO events per second one socket may send, and the burst above it (stage 4's flood
   * guard: past them an event is dropped, its ack answered `REALTIME_ERR_RATE_LIMITED`; a socket
   * that keeps on is disconnected). A client mostly listens: it sends `resume` and `webhooks` when
   * it connects, `subscribe`/`read` when a person clicks, and `delivered` once per batch of
   * notifications received, so at most about as often as one API key may send it notifications
   * (`requestsPerSecond`, `requestBurst`): the defaults sit just above those. Stage 4's own
   * defaults (20 a second, burst 40) cut the app's own inbox off under a burst of 100 notifications
   * (test/hostile/socket-flood.test.ts).
   */
  eventsPerSecond: 60,
  eventBurst: 120,
});
export type NotifyLimits = { -readonly [K in keyof typeof NOTIFY_LIMITS]: number };
