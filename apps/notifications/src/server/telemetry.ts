/**
 * IoT telemetry from an MQTT broker (Mosquitto), pushed to the subscribers of the Socket.IO
 * namespace `/telemetry` with conflation: stage 5's MQTT client feeds stage 5's `ConflatingFeed`
 * (the latest value per MQTT topic), served by `serveConflatingFeedOverSocketIo` — one batch in
 * flight per subscriber until it acks, so a slow or stalled subscriber holds one value per key,
 * never a growing queue.
 * @see https://docs.oasis-open.org/mqtt/mqtt/v5.0/mqtt-v5.0.html
 */
import {
  ConflatingFeed,
  createTelemetryClient,
  type NotificationAuthenticate,
  type SocketIoFeed,
  type TelemetryClient,
} from '@socketlab/distributed';
import type { Server } from 'socket.io';
import { TELEMETRY } from '../contract.ts';
import { serveFeedNamespace } from './feed-namespace.ts';

/** Options of {@link attachTelemetry}. */
export interface TelemetryOptions {
  readonly io: Server;
  readonly authenticate: NotificationAuthenticate;
  /** The broker, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string;
  /** The MQTT topic filter read. @default 'sensors/#' */
  readonly filter?: string;
  /** Distinct topics kept (a new one past it is dropped). @default 10000 */
  readonly maxKeys?: number;
}

/** A running telemetry feed. */
export interface Telemetry {
  /** One row per subscriber: pending keys, in flight, delivered, conflated. */
  readonly feed: SocketIoFeed;
  readonly client: TelemetryClient;
  close(): Promise<void>;
}

/** Connects to the broker and serves its readings on `/telemetry`. */
export async function attachTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const latest = new ConflatingFeed<string, unknown>({ maxKeys: options.maxKeys ?? 10_000 });
  const client = await createTelemetryClient({ url: options.url });
  client.on('reading', (reading) => latest.publish(reading.topic, reading.value));
  client.on('invalid', () => {}); // a bad payload is dropped; the feed goes on
  client.on('error', () => {}); // mqtt.js reconnects on its own
  await client.stream(options.filter ?? 'sensors/#', { highWaterMark: 1 });
  const feed = serveFeedNamespace(options.io, {
    ...TELEMETRY,
    authenticate: options.authenticate,
    feed: latest,
  });
  return {
    feed,
    client,
    async close() {
      feed.close();
      await client.close();
    },
  };
}
