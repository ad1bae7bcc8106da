/**
 * The same notifications over Server-Sent Events, for clients without Socket.IO (`curl -N`,
 * `EventSource`): `GET /events` is the user's stream, `GET /events?topic=t` a topic's. One stage 5
 * `SseChannel` per user or topic, made on its first client, fed from the service's one feed; its
 * replay buffer resumes a reconnecting client from `Last-Event-ID` (what happened since the stream
 * was first opened on this instance; older history is `GET /notifications`). `EventSource` cannot
 * send headers, so the user's token may come as `?token=`.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import {
  bearerToken,
  createSseChannel,
  HttpRefusal,
  type NotificationRoute,
  type NotificationService,
  RECIPIENT_PATTERN,
  recipientKey,
  type SseChannel,
} from '@socketlab/distributed';
import type { UserTokens } from './auth.ts';
import { isExpired } from './request.ts';

/** Options of {@link attachSse}. */
export interface SseOptions {
  readonly service: NotificationService;
  readonly tokens: UserTokens;
  /** Users and topics with a stream at once; the oldest without clients is dropped past it. @default 10000 */
  readonly maxStreams?: number;
  /** Events each stream keeps for `Last-Event-ID`. @default 100 */
  readonly replay?: number;
  readonly now?: () => number;
}

/** What {@link attachSse} returns. */
export interface SseEndpoint {
  readonly route: NotificationRoute;
  /** Open streams and their clients. */
  stats(): { streams: number; clients: number };
  close(): void;
}

/** Serves `GET /events` from `service`'s notifications. */
export function attachSse(options: SseOptions): SseEndpoint {
  const { service, tokens } = options;
  const maxStreams = options.maxStreams ?? 10_000;
  const now = options.now ?? Date.now;
  const channels = new Map<string, SseChannel>();
  let clients = 0;

  const channelFor = (key: string): SseChannel => {
    let channel = channels.get(key);
    if (channel !== undefined) return channel;
    if (channels.size >= maxStreams) {
      for (const [old, c] of channels) {
        if (c.stats().clients === 0) {
          c.close();
          channels.delete(old);
          break;
        }
      }
      if (channels.size >= maxStreams) {
        throw new HttpRefusal('UNAVAILABLE', 'too many streams open; try again later', {
          'retry-after': '5',
        });
      }
    }
    channel = createSseChannel({ maxReplayEvents: options.replay ?? 100 });
    channel.on('connect', () => clients++);
    channel.on('disconnect', () => clients--);
    channels.set(key, channel);
    return channel;
  };

  const stop = service.onNotification((n) => {
    if (isExpired(n, now())) return;
    const key = recipientKey(
      n.user !== undefined ? { user: n.user } : { topic: n.topic as string },
    );
    channels.get(key)?.send({ event: 'notification', data: JSON.stringify(n) });
  });

  return {
    route: {
      method: 'GET',
      path: '/events',
      async handle(req, res, url) {
        const user = await tokens.authenticate(
          bearerToken(req) ?? url.searchParams.get('token') ?? '',
        );
        if (user === undefined) {
          throw new HttpRefusal(
            'UNAUTHORIZED',
            'send the user’s token: Authorization: Bearer <token>, or ?token=<token>',
          );
        }
        const topic = url.searchParams.get('topic');
        if (topic !== null && !RECIPIENT_PATTERN.test(topic)) {
          throw new HttpRefusal('INVALID_QUERY', 'topic is 1 to 64 of A-Z a-z 0-9 _ . : @ -');
        }
        channelFor(recipientKey(topic === null ? { user } : { topic })).handle(req, res);
      },
    },
    stats: () => ({ streams: channels.size, clients }),
    close() {
      stop();
      for (const channel of channels.values()) channel.close();
      channels.clear();
    },
  };
}
