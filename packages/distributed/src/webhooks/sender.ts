/**
 * Outbound webhooks: each delivery is a signed POST, retried with exponential backoff and full
 * jitter on a network error, a timeout, 408, 429 or 5xx, until it succeeds (2xx), is refused for
 * good (any other status) or runs out of attempts; then it lands in a bounded dead-letter list
 * that can be read and re-sent. Time and randomness are injected, so tests drive the backoff by
 * hand.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkInteger, quoteInput, TIMER_MAX_MS } from '@socketlab/internal';
import { DistributedError } from '../errors.ts';
import { signWebhook, WEBHOOK_HEADERS, type WebhookSecret, webhookSecrets } from './signature.ts';

/** Where a sender reads the time (epoch milliseconds) and sets its timers. */
export interface WebhookClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: WebhookClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The defaults of {@link WebhookSenderOptions}. */
export const WEBHOOK_SENDER_DEFAULTS = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  deliveryTimeoutMs: 10_000,
  maxDeadLetters: 1_000,
  maxPending: 10_000,
});

/** Options of {@link WebhookSender}. */
export interface WebhookSenderOptions {
  /** The signing secret, or several while rotating (each adds a `v1=`; put the new one first). */
  readonly secrets: WebhookSecret | readonly WebhookSecret[];
  /** Attempts per delivery, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** The backoff before attempt 2 is drawn from 0…baseDelayMs, then doubling. @default 1000 */
  readonly baseDelayMs?: number;
  /** The cap of one backoff (and of a `Retry-After`). @default 300000 */
  readonly maxDelayMs?: number;
  /** How long one attempt may take, until the answer's status arrives, before it is aborted. @default 10000 */
  readonly deliveryTimeoutMs?: number;
  /** Dead letters kept; past it the oldest is dropped (and counted). @default 1000 */
  readonly maxDeadLetters?: number;
  /** Deliveries in flight or waiting to retry; past it `send` throws. @default 10000 */
  readonly maxPending?: number;
  /** Time and timers. @default the system clock */
  readonly clock?: WebhookClock;
  /** Uniform in [0, 1), for the jitter. @default Math.random */
  readonly random?: () => number;
  /** The HTTP client. @default globalThis.fetch (undici, in Node) */
  readonly fetch?: typeof fetch;
}

/** How one attempt ended. */
export type WebhookAttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'retryable'; readonly status?: number; readonly error?: string }
  | { readonly kind: 'refused'; readonly status: number };

/** A delivery that will not be tried again by itself. */
export interface WebhookDeadLetter {
  readonly id: string;
  readonly url: string;
  readonly body: string;
  readonly attempts: number;
  /** Why the last attempt failed: `HTTP 500`, `timeout after 10000 ms`, `fetch failed`, … */
  readonly lastError: string;
  /** `exhausted` (out of attempts) or `refused` (a status that is never retried, e.g. 400). */
  readonly reason: 'exhausted' | 'refused';
  /** When it was dead-lettered (the clock's milliseconds). */
  readonly failedAt: number;
}

/** What `send` (and `resend`) resolve with; they never reject for a failed delivery. */
export type WebhookResult =
  | { readonly ok: true; readonly id: string; readonly attempts: number; readonly status: number }
  | {
      readonly ok: false;
      readonly id: string;
      readonly attempts: number;
      /** `closed` when the sender was closed first (not dead-lettered). */
      readonly reason: 'exhausted' | 'refused' | 'closed';
      readonly lastError: string;
    };

/** A webhook event as sent: the JSON body is this envelope, so the id is signed too. */
export interface WebhookEnvelope<T = unknown> {
  readonly id: string;
  readonly type: string;
  /** Epoch milliseconds when it was first sent. */
  readonly createdAt: number;
  readonly data: T;
}

/** Counters of a sender. */
export interface WebhookSenderStats {
  readonly delivered: number;
  readonly attempts: number;
  readonly retries: number;
  readonly deadLettered: number;
  /** Dead letters pushed out of the full list. */
  readonly deadLettersDropped: number;
  readonly pending: number;
}

/** Events of a {@link WebhookSender}. */
export interface WebhookSenderEvents {
  /** After each attempt, with the attempt number (from 1). */
  attempt: [id: string, attempt: number, outcome: WebhookAttemptOutcome];
  /** A retry is set for `delayMs` from now. */
  retry: [id: string, nextAttempt: number, delayMs: number];
  delivered: [id: string, attempts: number];
  deadLetter: [letter: WebhookDeadLetter];
}

interface Pending {
  readonly id: string;
  readonly url: string;
  readonly body: string;
  attempts: number;
  timer?: unknown;
  abort?: AbortController | undefined;
  readonly resolve: (result: WebhookResult) => void;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Sends signed webhooks with retries and a dead-letter list. Each delivery's body is a JSON
 * {@link WebhookEnvelope} (`{ id, type, createdAt, data }`); each attempt is a POST with
 * `Content-Type: application/json`, `Webhook-Id` (the same on every attempt: the receiver's
 * idempotency key), `Webhook-Attempt` and `Webhook-Signature` (signed anew at each attempt, so
 * a late retry still falls inside the receiver's window). Redirects are not followed (a 3xx is a
 * refusal): the URL the operator registered is the one that gets the payload.
 *
 * Backoff before attempt `n + 1` is "full jitter": uniform in `0 … min(maxDelayMs, baseDelayMs ×
 * 2^(n−1))`, so a receiver that comes back is not hit by every sender at once; a `Retry-After`
 * in seconds on a 429 or 503 is honoured up to `maxDelayMs`.
 *
 * @throws {RangeError} or {TypeError} from the constructor for a bad option.
 * @example
 * ```ts
 * const sender = new WebhookSender({ secrets: process.env.HOOK_SECRET });
 * const result = await sender.send('https://example.com/hooks', 'invoice.paid', { invoice: 42 });
 * if (!result.ok) console.warn(result.reason, sender.deadLetters());
 * ```
 */
export class WebhookSender extends EventEmitter<WebhookSenderEvents> {
  readonly #secrets: Buffer[];
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #maxDeadLetters: number;
  readonly #maxPending: number;
  readonly #clock: WebhookClock;
  readonly #random: () => number;
  readonly #fetch: typeof fetch;
  readonly #pending = new Map<string, Pending>();
  readonly #dead = new Map<string, WebhookDeadLetter>();
  #closed = false;
  #stats = { delivered: 0, attempts: 0, retries: 0, deadLettered: 0, deadLettersDropped: 0 };

  constructor(options: WebhookSenderOptions) {
    super();
    const d = WEBHOOK_SENDER_DEFAULTS;
    this.#secrets = webhookSecrets(options.secrets);
    this.#maxAttempts = checkInteger('maxAttempts', options.maxAttempts ?? d.maxAttempts, 1, 100);
    this.#baseDelayMs = checkInteger(
      'baseDelayMs',
      options.baseDelayMs ?? d.baseDelayMs,
      0,
      TIMER_MAX_MS,
    );
    this.#maxDelayMs = checkInteger(
      'maxDelayMs',
      options.maxDelayMs ?? d.maxDelayMs,
      0,
      TIMER_MAX_MS,
    );
    this.#timeoutMs = checkInteger(
      'deliveryTimeoutMs',
      options.deliveryTimeoutMs ?? d.deliveryTimeoutMs,
      1,
      TIMER_MAX_MS,
    );
    this.#maxDeadLetters = checkInteger(
      'maxDeadLetters',
      options.maxDeadLetters ?? d.maxDeadLetters,
      0,
    );
    this.#maxPending = checkInteger('maxPending', options.maxPending ?? d.maxPending, 1);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Delivers `data` as a `type` event to `url`. Resolves once it is delivered, refused or out of
   * attempts (then it is a dead letter); never rejects for a failed delivery.
   * @param options.id the delivery id (reuse it to make the send itself idempotent). @default a UUID
   * @throws {TypeError} when `url` is not an http: or https: URL.
   * @throws {DistributedError} `DISTRIBUTED_ERR_LIMIT` past `maxPending`, or after `close()`;
   *   `DISTRIBUTED_ERR_PAYLOAD` when `data` cannot be serialised as JSON.
   */
  send<T>(
    url: string | URL,
    type: string,
    data: T,
    options: { id?: string } = {},
  ): Promise<WebhookResult> {
    const target = URL.canParse(String(url)) ? new URL(String(url)) : undefined;
    if (target === undefined || (target.protocol !== 'http:' && target.protocol !== 'https:'))
      throw new TypeError(`url must be an http: or https: URL, got ${quoteInput(String(url), 80)}`);
    const id = options.id ?? randomUUID();
    const envelope: WebhookEnvelope<T> = { id, type, createdAt: this.#clock.now(), data };
    let body: string;
    try {
      body = JSON.stringify(envelope);
    } catch (cause) {
      throw new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `webhook ${id}: data is not JSON`, {
        cause,
      });
    }
    return this.#start(id, String(url), body);
  }

  /** The dead letters, oldest first (a copy). */
  deadLetters(): WebhookDeadLetter[] {
    return [...this.#dead.values()];
  }

  /** Forgets a dead letter; `false` when there is none with that id. */
  discard(id: string): boolean {
    return this.#dead.delete(id);
  }

  /**
   * Takes a dead letter out of the list and delivers its body again, same id and same body (the
   * receiver deduplicates by id), with a fresh set of attempts.
   * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` when no dead letter has that id.
   */
  resend(id: string): Promise<WebhookResult> {
    const letter = this.#dead.get(id);
    if (letter === undefined)
      throw new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `no dead letter with id ${id}`);
    this.#dead.delete(id);
    return this.#start(letter.id, letter.url, letter.body);
  }

  /** Counters, and the deliveries still pending. */
  stats(): WebhookSenderStats {
    return { ...this.#stats, pending: this.#pending.size };
  }

  /** Aborts what is in flight and cancels every retry; those resolve `{ ok: false, reason: 'closed' }`. */
  close(): void {
    this.#closed = true;
    for (const p of [...this.#pending.values()]) {
      if (p.timer !== undefined) this.#clock.clearTimeout(p.timer);
      p.abort?.abort();
      this.#finish(p, {
        ok: false,
        id: p.id,
        attempts: p.attempts,
        reason: 'closed',
        lastError: 'sender closed',
      });
    }
  }

  #start(id: string, url: string, body: string): Promise<WebhookResult> {
    if (this.#closed)
      throw new DistributedError('DISTRIBUTED_ERR_LIMIT', 'the webhook sender is closed');
    if (this.#pending.has(id))
      throw new DistributedError(
        'DISTRIBUTED_ERR_PAYLOAD',
        `webhook ${id} is already being delivered`,
      );
    if (this.#pending.size >= this.#maxPending)
      throw new DistributedError(
        'DISTRIBUTED_ERR_LIMIT',
        `webhook ${id} refused: ${this.#pending.size} deliveries pending (maxPending ${this.#maxPending})`,
      );
    return new Promise<WebhookResult>((resolve) => {
      const pending: Pending = { id, url, body, attempts: 0, resolve };
      this.#pending.set(id, pending);
      void this.#attempt(pending);
    });
  }

  #finish(p: Pending, result: WebhookResult): void {
    if (this.#pending.get(p.id) !== p) return;
    this.#pending.delete(p.id);
    p.resolve(result);
  }

  async #attempt(p: Pending): Promise<void> {
    p.timer = undefined;
    p.attempts++;
    this.#stats.attempts++;
    const abort = new AbortController();
    p.abort = abort;
    let timedOut = false;
    const timer = this.#clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.#timeoutMs);
    let outcome: WebhookAttemptOutcome;
    let retryAfterMs: number | undefined;
    try {
      const response = await this.#fetch(p.url, {
        method: 'POST',
        redirect: 'manual',
        signal: abort.signal,
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_HEADERS.id]: p.id,
          [WEBHOOK_HEADERS.attempt]: String(p.attempts),
          [WEBHOOK_HEADERS.signature]: signWebhook(
            p.body,
            this.#secrets,
            Math.floor(this.#clock.now() / 1000),
          ),
        },
        body: p.body,
      });
      // The answer's body is never read: a receiver cannot make us buffer megabytes of it.
      await response.body?.cancel();
      const { status } = response;
      if (status >= 200 && status < 300) outcome = { kind: 'delivered', status };
      else if (RETRYABLE(status)) {
        outcome = { kind: 'retryable', status };
        const after = Number(response.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) retryAfterMs = after * 1000;
      } else outcome = { kind: 'refused', status };
    } catch (error) {
      outcome = {
        kind: 'retryable',
        error: timedOut ? `timeout after ${this.#timeoutMs} ms` : describe(error),
      };
    } finally {
      this.#clock.clearTimeout(timer);
      p.abort = undefined;
    }
    if (this.#pending.get(p.id) !== p) return; // closed meanwhile
    this.emit('attempt', p.id, p.attempts, outcome);
    if (outcome.kind === 'delivered') {
      this.#stats.delivered++;
      this.emit('delivered', p.id, p.attempts);
      this.#finish(p, { ok: true, id: p.id, attempts: p.attempts, status: outcome.status });
      return;
    }
    const lastError =
      outcome.kind === 'refused' || outcome.status !== undefined
        ? `HTTP ${outcome.status}`
        : (outcome.error ?? 'failed');
    if (outcome.kind === 'refused' || p.attempts >= this.#maxAttempts) {
      this.#deadLetter(p, outcome.kind === 'refused' ? 'refused' : 'exhausted', lastError);
      return;
    }
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (p.attempts - 1));
    let delayMs = Math.floor(this.#random() * ceiling);
    if (retryAfterMs !== undefined)
      delayMs = Math.min(this.#maxDelayMs, Math.max(delayMs, retryAfterMs));
    this.#stats.retries++;
    this.emit('retry', p.id, p.attempts + 1, delayMs);
    p.timer = this.#clock.setTimeout(() => void this.#attempt(p), delayMs);
  }

  #deadLetter(p: Pending, reason: 'exhausted' | 'refused', lastError: string): void {
    const letter: WebhookDeadLetter = {
      id: p.id,
      url: p.url,
      body: p.body,
      attempts: p.attempts,
      lastError,
      reason,
      failedAt: this.#clock.now(),
    };
    if (this.#maxDeadLetters > 0) {
      this.#dead.delete(p.id);
      this.#dead.set(p.id, letter);
      while (this.#dead.size > this.#maxDeadLetters) {
        this.#dead.delete(this.#dead.keys().next().value as string);
        this.#stats.deadLettersDropped++;
      }
    } else this.#stats.deadLettersDropped++;
    this.#stats.deadLettered++;
    this.emit('deadLetter', letter);
    this.#finish(p, { ok: false, id: p.id, attempts: p.attempts, reason, lastError });
  }
}

function describe(error: unknown): string {
  const err = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'failed'} (${cause})` : (err.message ?? String(error));
}
