/**
 * Signing and verifying webhook payloads by hand with `node:crypto`: an HMAC-SHA256 over
 * `${timestamp}.${rawBody}`, sent as `Webhook-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
 * The timestamp is inside the signed string, so a captured request cannot be replayed with a new
 * one; the receiver refuses any timestamp outside its window. One `v1=` per secret lets a sender
 * sign with the new and the old secret while a rotation is under way.
 *
 * The shape follows Stripe's `Stripe-Signature` (https://docs.stripe.com/webhooks#verify-manually)
 * and the Standard Webhooks spec's signing scheme (https://www.standardwebhooks.com/ and
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
 * written here from their descriptions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { quoteInput } from '@socketlab/internal';
import { DistributedError } from '../errors.ts';

/** The headers a delivery carries, lower-case (as Node's `IncomingMessage.headers` has them). */
export const WEBHOOK_HEADERS = Object.freeze({
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256>` (one `v1=` per signing secret). */
  signature: 'webhook-signature',
  /** The delivery's id, the same on every attempt: the receiver's idempotency key. */
  id: 'webhook-id',
  /** The attempt number, from 1 (informative: it is not signed). */
  attempt: 'webhook-attempt',
} as const);

/** The default replay window of {@link verifyWebhook}: 5 minutes either way, as Stripe's. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;
/** The shortest secret accepted, in bytes: an HMAC key shorter than this is guessable. */
export const WEBHOOK_SECRET_MIN_BYTES = 16;
/** The longest `Webhook-Signature` header {@link verifyWebhook} reads, in characters. */
export const WEBHOOK_SIGNATURE_MAX_LENGTH = 2048;

/** A shared secret: its UTF-8 bytes (a string) or the bytes themselves. */
export type WebhookSecret = string | Uint8Array;

/** Why {@link verifyWebhook} refused a request (`WebhookSignatureError.reason`). */
export type WebhookRejectReason =
  | 'missing' // no Webhook-Signature header
  | 'malformed' // not `t=<digits>,v1=<64 hex>…`, or too long
  | 'stale' // the timestamp is older than the window
  | 'future' // the timestamp is further ahead than the window
  | 'mismatch'; // no v1 signature matches any of the secrets

/** `DISTRIBUTED_ERR_SIGNATURE` with the {@link WebhookRejectReason}: answer 400 (or 401) and drop it. */
export class WebhookSignatureError extends DistributedError {
  override name = 'WebhookSignatureError';
  constructor(
    readonly reason: WebhookRejectReason,
    message: string,
  ) {
    super('DISTRIBUTED_ERR_SIGNATURE', message);
  }
}

function secretBytes(secret: WebhookSecret, index: number): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < WEBHOOK_SECRET_MIN_BYTES)
    throw new RangeError(
      `secret #${index} must be at least ${WEBHOOK_SECRET_MIN_BYTES} bytes, got ${bytes.length}`,
    );
  return bytes;
}

/** The secrets as a non-empty list of key bytes; `RangeError` for an empty list or a short one. */
export function webhookSecrets(secrets: WebhookSecret | readonly WebhookSecret[]): Buffer[] {
  const list = typeof secrets === 'string' || secrets instanceof Uint8Array ? [secrets] : secrets;
  if (list.length === 0) throw new RangeError('secrets must hold at least one secret, got none');
  return list.map(secretBytes);
}

function hmac(key: Buffer, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${timestamp}.`).update(body).digest();
}

/**
 * The `Webhook-Signature` value for `rawBody` sent at `timestampSeconds`: `t=…,v1=…`, one `v1=`
 * per secret (sign with the new and the old one while a rotation is under way).
 * @throws {RangeError} for no secret or one shorter than {@link WEBHOOK_SECRET_MIN_BYTES}.
 * @example signWebhook('{"id":"evt_1"}', 'a shared secret of 32 characters', 1767225600)
 * // → 't=1767225600,v1=5f0c…'
 */
export function signWebhook(
  rawBody: string | Uint8Array,
  secrets: WebhookSecret | readonly WebhookSecret[],
  timestampSeconds: number,
): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0)
    throw new RangeError(`timestampSeconds must be an integer ≥ 0, got ${timestampSeconds}`);
  const parts = webhookSecrets(secrets).map(
    (key) => `v1=${hmac(key, timestampSeconds, rawBody).toString('hex')}`,
  );
  return `t=${timestampSeconds},${parts.join(',')}`;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now, either way, in seconds. @default 300 */
  readonly toleranceSeconds?: number;
  /** The receiver's clock, in milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** What a verified request tells: when it was signed, and by which of the secrets. */
export interface VerifiedWebhook {
  /** The signed timestamp, in Unix seconds. */
  readonly timestamp: number;
  /** The index in `secrets` of the secret that matched (rotation: 0 is the current one). */
  readonly secretIndex: number;
}

/** Request headers as Node (`IncomingHttpHeaders`) or fetch (`Headers`) hands them over. */
export type WebhookRequestHeaders =
  | Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>;

function headerOf(headers: WebhookRequestHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | readonly string[] | undefined>;
  const value =
    record[name] ??
    Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1] ??
    undefined;
  return Array.isArray(value) ? value.join(',') : (value as string | undefined);
}

const SIGNATURE_SYNTAX = /^t=(\d{1,15})((?:,v1=[0-9a-f]{64}){1,8})$/;

/**
 * Checks a delivery as its receiver: the `Webhook-Signature` header against the **raw** body
 * (the bytes as they arrived, before any JSON parsing: a re-serialised body does not match),
 * under each of `secrets` (several while a rotation is under way), compared in constant time
 * (`crypto.timingSafeEqual`), and the signed timestamp within `toleranceSeconds` of now.
 * Deduplicate by the delivery id afterwards: a retry is the same event again.
 * @returns which timestamp and which secret verified.
 * @throws {WebhookSignatureError} `DISTRIBUTED_ERR_SIGNATURE`, `reason` `missing`, `malformed`,
 *   `stale`, `future` or `mismatch`.
 * @throws {RangeError} for no secret, a short one, or a bad `toleranceSeconds`.
 * @see https://docs.stripe.com/webhooks#verify-manually
 * @example
 * ```ts
 * const raw = await readBody(req); // a Buffer, untouched
 * verifyWebhook(req.headers, raw, [process.env.HOOK_SECRET, process.env.OLD_HOOK_SECRET]);
 * const event = JSON.parse(raw.toString('utf8'));
 * ```
 */
export function verifyWebhook(
  headers: WebhookRequestHeaders,
  rawBody: string | Uint8Array,
  secrets: WebhookSecret | readonly WebhookSecret[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhook {
  const keys = webhookSecrets(secrets);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (!Number.isSafeInteger(tolerance) || tolerance < 0)
    throw new RangeError(`toleranceSeconds must be an integer ≥ 0, got ${tolerance}`);
  const header = headerOf(headers, WEBHOOK_HEADERS.signature);
  if (header === undefined || header === '')
    throw new WebhookSignatureError('missing', 'webhook refused: no Webhook-Signature header');
  const match = header.length <= WEBHOOK_SIGNATURE_MAX_LENGTH && SIGNATURE_SYNTAX.exec(header);
  if (!match)
    throw new WebhookSignatureError(
      'malformed',
      `webhook refused: Webhook-Signature must be t=<unix seconds>,v1=<64 hex digits> (at most 8), got ${quoteInput(header, 80)}`,
    );
  const timestamp = Number(match[1]);
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (timestamp < nowSeconds - tolerance)
    throw new WebhookSignatureError(
      'stale',
      `webhook refused: signed at ${timestamp}, ${nowSeconds - timestamp} s ago, past the ${tolerance} s window (a replay, or a sender's clock behind)`,
    );
  if (timestamp > nowSeconds + tolerance)
    throw new WebhookSignatureError(
      'future',
      `webhook refused: signed at ${timestamp}, ${timestamp - nowSeconds} s ahead, past the ${tolerance} s window (a sender's clock ahead)`,
    );
  const given = (match[2] as string)
    .slice(1)
    .split(',')
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  for (const [secretIndex, key] of keys.entries()) {
    const expected = hmac(key, timestamp, rawBody);
    // Every candidate is compared, whichever matches: the time taken does not depend on where.
    let matched = false;
    for (const signature of given) if (timingSafeEqual(signature, expected)) matched = true;
    if (matched) return { timestamp, secretIndex };
  }
  throw new WebhookSignatureError(
    'mismatch',
    `webhook refused: none of ${given.length} signature(s) matches any of ${keys.length} secret(s) (a tampered body, a body changed before verifying, or the wrong secret)`,
  );
}
