/**
 * History in NATS JetStream, shared by every instance: one stream (`<prefix>_history`, subjects
 * `<prefix>.h.>`) with one subject per user and per topic, `<prefix>.h.<key in base64url>` (a key
 * such as `user:ada.l` may hold `.`, which NATS reads as a token separator), the notification as
 * its JSON payload. Retention: `max_msgs_per_subject` keeps exactly the newest N per recipient.
 *
 * Duplicates: an idempotency key is created atomically in a KV bucket (`<prefix>_idem`, each
 * entry expiring with the bucket's `max_age`, 7 days by default) holding the notification it
 * stored, so a retry on any instance gets that one back; an id is published as the message's
 * `Nats-Msg-Id`, so the copy every other instance records is refused by JetStream within the
 * stream's duplicate window (2 minutes by default; the copies come within milliseconds), and
 * `list` drops a repeated id should one come later than that. Implements stage 5's
 * `NotificationStore`, with the semantics of `RedisStreamStore`.
 * @see https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive#message-deduplication
 * @see https://docs.nats.io/nats-concepts/jetstream/key-value-store
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type {
  HistoryQuery,
  NotificationStore,
  ServiceNotification,
  StorePutResult,
} from '@socketlab/distributed';
import {
  decodeBrokerJson,
  ensureStream,
  readServiceNotification,
  replayFrom,
} from '@socketlab/distributed';
import { checkInteger } from '@socketlab/internal';

/** The defaults of {@link JetStreamStoreOptions}. */
export const JETSTREAM_STORE_DEFAULTS = Object.freeze({
  prefix: 'socketlab-notify',
  maxPerRecipient: 100,
  /** How long idempotency keys are remembered (the KV bucket's `max_age`). */
  keyTtlMs: 7 * 24 * 3600 * 1000,
  /** How long JetStream refuses a second message with one notification id. */
  duplicateWindowMs: 2 * 60 * 1000,
});

/** Options of {@link openJetStreamStore}. */
export interface JetStreamStoreOptions {
  /** A connection to a NATS server with JetStream; the caller closes it. */
  readonly nc: NatsConnection;
  /** Names the stream, the bucket and the subjects: 1–64 letters, digits, `_` or `-`. @default 'socketlab-notify' */
  readonly prefix?: string;
  /** Notifications kept per user and per topic (exactly: `max_msgs_per_subject`). @default 100 */
  readonly maxPerRecipient?: number;
  /** How long idempotency keys are remembered, ms. @default 7 days */
  readonly keyTtlMs?: number;
  /** How long a notification id is refused a second time, ms. @default 2 minutes */
  readonly duplicateWindowMs?: number;
}

const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const utf8 = new TextEncoder();
/** A subject token or KV key for any string: base64url holds only `A-Z a-z 0-9 - _`. */
export const token = (value: string): string => Buffer.from(value).toString('base64url');

/** Whether a KV `create` or `update` lost to another writer (the key exists, or changed). */
export function isKeyTaken(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function readStored(data: Uint8Array | undefined): ServiceNotification | undefined {
  if (data === undefined || data.byteLength === 0) return undefined;
  try {
    return readServiceNotification(decodeBrokerJson(data));
  } catch {
    return undefined; // not ours, or damaged: skipped like a missing entry
  }
}

/** Stage 5's `NotificationStore` on JetStream: make one with {@link openJetStreamStore}. */
export class JetStreamNotificationStore implements NotificationStore {
  /** The stream holding the history. */
  readonly stream: string;
  /** The KV bucket holding the idempotency keys. */
  readonly bucket: string;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #idem: KV;
  readonly #subjectPrefix: string;
  readonly #max: number;

  /** @internal use {@link openJetStreamStore} */
  constructor(parts: {
    js: JetStreamClient;
    jsm: JetStreamManager;
    idem: KV;
    prefix: string;
    maxPerRecipient: number;
  }) {
    this.#js = parts.js;
    this.#jsm = parts.jsm;
    this.#idem = parts.idem;
    this.#max = parts.maxPerRecipient;
    this.#subjectPrefix = `${parts.prefix}.h.`;
    this.stream = streamName(parts.prefix);
    this.bucket = bucketName(parts.prefix);
  }

  async put(key: string, n: ServiceNotification, idempotencyKey?: string): Promise<StorePutResult> {
    let claimed: string | undefined;
    if (idempotencyKey !== undefined) {
      const idem = token(idempotencyKey);
      try {
        await this.#idem.create(idem, utf8.encode(JSON.stringify(n)));
        claimed = idem;
      } catch (error) {
        if (!isKeyTaken(error)) throw error;
        const earlier = readStored((await this.#idem.get(idem))?.value);
        if (earlier !== undefined) return { notification: earlier, duplicate: true };
        // it expired between the two calls: stored again, as RedisStreamStore does
      }
    }
    try {
      const ack = await this.#js.publish(
        this.#subjectPrefix + token(key),
        utf8.encode(JSON.stringify(n)),
        { msgID: n.id },
      );
      return { notification: n, duplicate: ack.duplicate };
    } catch (error) {
      // not stored: a retry with the same key must not be answered with this one
      if (claimed !== undefined) await this.#idem.delete(claimed).catch(() => undefined);
      throw error;
    }
  }

  async list(key: string, { after, limit }: HistoryQuery): Promise<ServiceNotification[]> {
    if (limit < 1) return [];
    // the subject holds at most maxPerRecipient: read it whole, keep what sorts after `after`
    const byId = new Map<string, ServiceNotification>();
    for await (const m of replayFrom({
      js: this.#js,
      jsm: this.#jsm,
      stream: this.stream,
      fromSeq: 1,
      filterSubject: this.#subjectPrefix + token(key),
      max: this.#max,
    })) {
      const n = readStored(m.data);
      if (n !== undefined && (after === undefined || n.id > after)) byId.set(n.id, n);
    }
    const out = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out.slice(0, limit);
  }
}

const streamName = (prefix: string): string => `${prefix}_history`;
const bucketName = (prefix: string): string => `${prefix}_idem`;

/**
 * Opens the history on `options.nc`, creating (or updating) the stream and the KV bucket.
 * Instances that share history use the same server and prefix.
 * @throws {TypeError} for a prefix NATS names cannot hold.
 * @throws {RangeError} for a bound that is not an integer >= 1.
 * @example const store = await openJetStreamStore({ nc: await connect({ servers: url }) });
 */
export async function openJetStreamStore(
  options: JetStreamStoreOptions,
): Promise<JetStreamNotificationStore> {
  const d = JETSTREAM_STORE_DEFAULTS;
  const prefix = options.prefix ?? d.prefix;
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(
      `prefix must be 1–64 letters, digits, _ or -, got ${JSON.stringify(prefix)}`,
    );
  }
  const maxPerRecipient = checkInteger(
    'maxPerRecipient',
    options.maxPerRecipient ?? d.maxPerRecipient,
    1,
  );
  const keyTtlMs = checkInteger('keyTtlMs', options.keyTtlMs ?? d.keyTtlMs, 1000);
  const windowMs = checkInteger(
    'duplicateWindowMs',
    options.duplicateWindowMs ?? d.duplicateWindowMs,
    1000,
  );
  const js = jetstream(options.nc);
  const jsm = await jetstreamManager(options.nc);
  await ensureStream(jsm, {
    name: streamName(prefix),
    subjects: [`${prefix}.h.>`],
    max_msgs_per_subject: maxPerRecipient,
    duplicate_window: windowMs * 1_000_000,
  });
  const idem = await new Kvm(js).create(bucketName(prefix), { history: 1, ttl: keyTtlMs });
  return new JetStreamNotificationStore({ js, jsm, idem, prefix, maxPerRecipient });
}
