import { decodeLineText, encodeLineText, lineCodec } from '@socketlab/tcp-udp';
import type {
  ClientStatus,
  ReconnectingLineClient,
  ReconnectingLineClientOptions,
} from '../../exercises/04-reconnecting-client/exercise.ts';
import { createFramedConnector, createReconnectingClient } from '../../src/reconnect/index.ts';

export type { ClientStatus, ReconnectingLineClient, ReconnectingLineClientOptions };

/**
 * The exercise's client on the library's `createReconnectingClient` (full-jitter backoff, the
 * give-up rule, the bounded offline queue) over stage 2's line framing: the `resume` hook sends
 * the `SUB` lines, and the library's events become the exercise's statuses.
 */
export function startReconnectingClient(
  options: ReconnectingLineClientOptions,
): ReconnectingLineClient {
  const status = (s: ClientStatus): void => options.onStatus?.(s);
  let retry = 0; // waits since the last connection: the backoff exponent
  let lastAttempt = 0;
  let dropped = 0;
  const client = createReconnectingClient<Buffer, Uint8Array>({
    connect: createFramedConnector(
      { host: options.host, port: options.port },
      { codec: lineCodec() },
    ),
    resume: async (connection) => {
      for (const topic of options.topics) await connection.send(encodeLineText(`SUB ${topic}`));
    },
    baseDelayMs: options.baseDelayMs,
    maxDelayMs: options.maxDelayMs,
    maxAttempts: options.maxAttempts,
    maxQueuedMessages: options.maxQueued,
    queueFullPolicy: 'drop-oldest',
    ...(options.random ? { random: options.random } : {}),
  });
  client.on('connecting', ({ attempt }) => {
    lastAttempt = attempt;
    status({ type: 'connecting', attempt });
  });
  client.on('connected', ({ attempt, reconnect }) => {
    retry = 0;
    status({ type: 'connected', attempt, reconnect });
  });
  client.on('disconnected', ({ reason }) => {
    if (reason !== 'closed') status({ type: 'disconnected' });
  });
  client.on('retrying', ({ delayMs }) =>
    status({ type: 'retrying', retry: retry++, inMs: delayMs }),
  );
  client.on('gaveUp', () => status({ type: 'gave-up', attempts: lastAttempt }));
  client.on('dropped', () => dropped++);
  client.on('message', (line) => options.onLine?.(decodeLineText(line)));
  client.start();
  return {
    send: (line) => {
      // A dropped or unsent line rejects; the counters and statuses already say so.
      client.send(encodeLineText(line)).catch(() => undefined);
    },
    get queued() {
      return client.queuedMessages;
    },
    get dropped() {
      return dropped;
    },
    close: () => client.close(),
  };
}
