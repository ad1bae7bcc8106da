/**
 * An MQTT client for IoT telemetry over mqtt.js (MQTT 5): JSON readings published at QoS 0 or 1,
 * retained last values, a last will, wildcard subscriptions, every incoming payload checked
 * (size, JSON, your `parse`) before anyone sees it, and {@link TelemetryStream}s that carry the
 * readings to whatever serves them live.
 *
 * @see https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html (MQTT 5.0)
 * @see https://github.com/mqttjs/MQTT.js#readme (mqtt.js)
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { checkInteger, quoteInput, TIMER_MAX_MS } from '@socketlab/internal';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { DistributedError } from '../errors.ts';
import { type Reading, TelemetryStream } from './telemetry-stream.ts';
import { isValidTopicFilter, isValidTopicName, matchTopic } from './topics.ts';

/** The QoS levels this client uses: 0 at most once, 1 at least once. */
export type TelemetryQos = 0 | 1;

/** A last will: published by the broker if this client goes away without a DISCONNECT. */
export interface LastWill {
  topic: string;
  /** Sent as JSON. */
  value: unknown;
  /** @default 1 */
  qos?: TelemetryQos;
  /** Retain it, so later subscribers also learn the client is gone. @default true */
  retain?: boolean;
}

/** Options of {@link createTelemetryClient}. */
export interface TelemetryClientOptions<T> {
  /** The broker, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** Unique per connected client: a second connection with the same id takes the session over. @default `socketlab-<random>` */
  clientId?: string;
  will?: LastWill;
  /**
   * Keep the session (subscriptions and QoS 1 messages queued while offline) this long after a
   * disconnect, in seconds; 0 starts clean and discards it at disconnect. @default 0
   */
  sessionExpirySeconds?: number;
  /** Seconds between PINGREQs when idle; the broker drops the client after 1.5x this. @default 30 */
  keepaliveSeconds?: number;
  /** How long to wait for CONNACK, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /** Delay before reconnecting after a lost connection, in ms; 0 never reconnects. @default 1000 */
  reconnectPeriodMs?: number;
  /** The largest payload accepted, in bytes, published or received. @default 65536 */
  maxPayloadBytes?: number;
  /** Checks a parsed JSON payload and returns it typed; throwing makes the message invalid. */
  parse?: (value: unknown) => T;
}

/** Events of a {@link TelemetryClient}. */
export interface TelemetryClientEvents<T> {
  /** A valid reading arrived on any subscription. */
  reading: [reading: Reading<T>];
  /** A message was refused (`DISTRIBUTED_ERR_PAYLOAD`): too large, not JSON, or refused by `parse`. */
  invalid: [error: DistributedError, topic: string];
  /** The connection failed (`DISTRIBUTED_ERR_UNAVAILABLE`); mqtt.js keeps reconnecting unless told not to. */
  error: [error: DistributedError];
}

/**
 * Connects a {@link TelemetryClient} and resolves once the broker has accepted it (CONNACK).
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when the broker cannot be reached in time.
 * @example
 * const device = await createTelemetryClient({ url, will: { topic: 'devices/d1/status', value: 'offline' } });
 * await device.publish('devices/d1/status', 'online', { retain: true });
 * await device.publish('sensors/d1/temp', { celsius: 21.5 }, { qos: 0 });
 */
export async function createTelemetryClient<T = unknown>(
  options: TelemetryClientOptions<T>,
): Promise<TelemetryClient<T>> {
  const client = new TelemetryClient(options);
  await client.connect();
  return client;
}

/** A telemetry client on one MQTT connection. Attach listeners, then {@link TelemetryClient.connect}. */
export class TelemetryClient<T = unknown> extends EventEmitter<TelemetryClientEvents<T>> {
  readonly clientId: string;
  readonly #url: string;
  readonly #options: IClientOptions;
  readonly #maxBytes: number;
  readonly #parse: (value: unknown) => T;
  readonly #streams = new Set<TelemetryStream<T>>();
  /** Per filter: its MQTT 5 subscription identifier and how many streams share it. */
  readonly #subscriptions = new Map<string, { id: number; streams: number }>();
  #nextSubscriptionId = 1;
  #client: MqttClient | undefined;
  #ending = false;

  constructor(options: TelemetryClientOptions<T>) {
    super();
    this.clientId = options.clientId ?? `socketlab-${randomBytes(6).toString('hex')}`;
    this.#url = options.url;
    this.#maxBytes = checkInteger(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? 65_536,
      1,
      268_435_455,
    );
    this.#parse = options.parse ?? ((value) => value as T);
    const expiry = checkInteger(
      'sessionExpirySeconds',
      options.sessionExpirySeconds ?? 0,
      0,
      4_294_967_295,
    );
    const will = options.will;
    if (will !== undefined && !isValidTopicName(will.topic))
      throw new TypeError(
        `will.topic must be a topic name without wildcards, got ${quoteInput(will.topic)}`,
      );
    this.#options = {
      clientId: this.clientId,
      protocolVersion: 5,
      clean: expiry === 0,
      properties: expiry > 0 ? { sessionExpiryInterval: expiry } : {},
      keepalive: checkInteger('keepaliveSeconds', options.keepaliveSeconds ?? 30, 0, 65_535),
      connectTimeout: checkInteger(
        'connectTimeoutMs',
        options.connectTimeoutMs ?? 5_000,
        1,
        TIMER_MAX_MS,
      ),
      reconnectPeriod: checkInteger(
        'reconnectPeriodMs',
        options.reconnectPeriodMs ?? 1_000,
        0,
        TIMER_MAX_MS,
      ),
      resubscribe: true,
      ...(will && {
        will: {
          topic: will.topic,
          payload: Buffer.from(JSON.stringify(will.value) ?? 'null'),
          qos: will.qos ?? 1,
          retain: will.retain ?? true,
        },
      }),
    };
  }

  /** The mqtt.js client underneath (for what this wrapper does not cover). */
  get mqtt(): MqttClient {
    if (this.#client === undefined)
      throw new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', 'not connected yet');
    return this.#client;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Connects; resolves on CONNACK. Messages a kept session had queued arrive as `'reading'` events. */
  async connect(): Promise<void> {
    if (this.#client !== undefined) return;
    const client = mqtt.connect(this.#url, this.#options);
    this.#client = client;
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    client.on('error', (cause) => {
      if (this.listenerCount('error') > 0)
        this.emit(
          'error',
          new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', `MQTT: ${cause.message}`, { cause }),
        );
    });
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        client.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        client.off('connect', onConnect);
        client.end(true);
        reject(
          new DistributedError(
            'DISTRIBUTED_ERR_UNAVAILABLE',
            `MQTT broker at ${redact(this.#url)} cannot be reached`,
          ),
        );
      };
      client.once('connect', onConnect);
      client.once('close', onClose);
    });
  }

  /**
   * Publishes `value` as JSON. QoS 0 resolves once written to the socket (at most once); QoS 1
   * resolves on the broker's PUBACK (at least once: it may arrive twice). With `retain`, the
   * broker keeps it as the topic's last value for future subscribers.
   * @throws {TypeError} when `topic` is not a valid topic name (no `+` or `#`).
   * @throws {DistributedError} `DISTRIBUTED_ERR_LIMIT` when the JSON is over `maxPayloadBytes`;
   * `DISTRIBUTED_ERR_UNAVAILABLE` when mqtt.js refuses it (the client is closed or ending).
   */
  async publish(
    topic: string,
    value: unknown,
    options: { qos?: TelemetryQos; retain?: boolean } = {},
  ): Promise<void> {
    if (!isValidTopicName(topic))
      throw new TypeError(`topic must be a topic name without wildcards, got ${quoteInput(topic)}`);
    const payload = Buffer.from(JSON.stringify(value) ?? 'null');
    if (payload.length > this.#maxBytes)
      throw new DistributedError(
        'DISTRIBUTED_ERR_LIMIT',
        `payload of ${payload.length} bytes is over maxPayloadBytes (${this.#maxBytes})`,
      );
    await this.mqtt
      .publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false })
      .catch((cause: unknown) => {
        throw unavailable(`publishing to ${quoteInput(topic)} failed`, cause);
      });
  }

  /** Removes the topic's retained value (an empty retained message, MQTT §3.3.1.3). */
  async clearRetained(topic: string): Promise<void> {
    if (!isValidTopicName(topic))
      throw new TypeError(`topic must be a topic name without wildcards, got ${quoteInput(topic)}`);
    await this.mqtt
      .publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true })
      .catch((cause: unknown) => {
        throw unavailable(`clearing ${quoteInput(topic)} failed`, cause);
      });
  }

  /**
   * Subscribes to `filter` and returns a stream of the readings that match it; retained values
   * come first, flagged `retained`. Closing the stream unsubscribes (when no other stream uses
   * the same filter).
   * @param options.qos - the highest QoS to receive at. @default 1
   * @param options.highWaterMark - readings buffered before the oldest is dropped. @default 1000
   * @throws {TypeError} when `filter` is not a valid topic filter.
   * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when the subscription fails or is refused.
   */
  async stream(
    filter: string,
    options: { qos?: TelemetryQos; highWaterMark?: number } = {},
  ): Promise<TelemetryStream<T>> {
    const client = this.mqtt;
    if (!isValidTopicFilter(filter))
      throw new TypeError(`filter must be a valid topic filter, got ${quoteInput(filter)}`);
    const stream = new TelemetryStream<T>(filter, options.highWaterMark, async () => {
      this.#streams.delete(stream);
      const subscription = this.#subscriptions.get(filter);
      if (subscription && --subscription.streams > 0) return;
      this.#subscriptions.delete(filter);
      // Not while ending: a kept session keeps its subscriptions for the next connection.
      if (client.connected && !this.#ending) await client.unsubscribeAsync(filter).catch(() => {});
    });
    this.#streams.add(stream); // before SUBACK: retained values may follow it in the same read
    let subscription = this.#subscriptions.get(filter);
    if (subscription) subscription.streams++;
    else {
      subscription = { id: this.#nextSubscriptionId++, streams: 1 };
      this.#subscriptions.set(filter, subscription);
    }
    // The identifier comes back on every message this subscription delivers, so overlapping
    // filters (a/+ and a/#), which the broker may deliver once each, reach only their own streams.
    const granted = await client
      .subscribeAsync(filter, {
        qos: options.qos ?? 1,
        properties: { subscriptionIdentifier: subscription.id },
      })
      .catch(async (cause: unknown) => {
        await stream.close();
        throw unavailable(`subscribing to ${quoteInput(filter)} failed`, cause);
      });
    if (granted.some((grant) => grant.qos === 128)) {
      await stream.close();
      throw new DistributedError(
        'DISTRIBUTED_ERR_UNAVAILABLE',
        `the broker refused the subscription to ${quoteInput(filter)}`,
      );
    }
    return stream;
  }

  /**
   * Ends every stream and disconnects cleanly (DISCONNECT: the will is not published). A kept
   * session keeps its subscriptions on the broker; `endSession` discards it now (MQTT 5).
   */
  async close(options: { endSession?: boolean } = {}): Promise<void> {
    this.#ending = true;
    await Promise.all([...this.#streams].map((stream) => stream.close()));
    const client = this.#client;
    if (client === undefined || client.disconnected) return;
    await client.endAsync(
      false,
      options.endSession ? { properties: { sessionExpiryInterval: 0 } } : {},
    );
  }

  /** Drops the connection as a crash would: the socket is destroyed with no DISCONNECT, so the broker publishes the will. */
  async destroy(): Promise<void> {
    this.#ending = true;
    for (const stream of this.#streams) await stream.close().catch(() => {});
    await this.#client?.endAsync(true);
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (payload.length === 0) return; // a retained value being cleared, not a reading
    let value: T;
    try {
      value = this.#decode(payload);
    } catch (error) {
      this.emit('invalid', error as DistributedError, topic);
      return;
    }
    const reading: Reading<T> = {
      topic,
      value,
      qos: packet.qos,
      retained: packet.retain,
      receivedAt: Date.now(),
    };
    this.emit('reading', reading);
    const ids = packet.properties?.subscriptionIdentifier;
    const matched = ids === undefined ? undefined : new Set(Array.isArray(ids) ? ids : [ids]);
    for (const stream of this.#streams) {
      const id = this.#subscriptions.get(stream.filter)?.id;
      // Without identifiers (a broker that drops them), fall back to matching the filter.
      if (matched ? id !== undefined && matched.has(id) : matchTopic(stream.filter, topic))
        stream.push(reading);
    }
  }

  #decode(payload: Buffer): T {
    if (payload.length > this.#maxBytes)
      throw new DistributedError(
        'DISTRIBUTED_ERR_PAYLOAD',
        `payload of ${payload.length} bytes is over maxPayloadBytes (${this.#maxBytes})`,
      );
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch (cause) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_PAYLOAD',
        `payload is not JSON: ${quoteInput(payload, 60)}`,
        { cause },
      );
    }
    try {
      return this.#parse(value);
    } catch (cause) {
      const text = cause instanceof Error ? cause.message : String(cause);
      throw new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `payload refused by parse: ${text}`, {
        cause,
      });
    }
  }
}

function unavailable(what: string, cause: unknown): DistributedError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', `MQTT: ${what}: ${reason}`, { cause });
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
