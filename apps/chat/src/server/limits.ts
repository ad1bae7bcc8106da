/**
 * The chat's limits, built from stage 4's rate-limit pieces: every event through a flood guard
 * (events per socket, connections per address, payload shape), and on top of it the chat's own
 * budget for messages, a token bucket per socket and one per address. A client over a limit is
 * told (`notice`, and the refused acknowledgement); one that keeps on is told why and disconnected.
 */

import { isIP } from 'node:net';
import { checkInteger } from '@socketlab/internal';
import {
  addressKey,
  createFloodGuard,
  FLOOD_GUARD_DEFAULTS,
  type FloodGuard,
  KeyedLimiter,
  type RateClock,
  TokenBucket,
} from '@socketlab/websockets/realtime';
import type { Server, Socket } from 'socket.io';
import { CHAT_APP_LIMITS, type ChatLimits, type ChatRefusal } from '../contract.ts';
import type { ChatSocketData } from './auth.ts';

/** The chat's limits, resolved. */
export type ChatAppLimits = ChatLimits;

/** How many sockets' worth of messages one address may send (a household, an office behind NAT). */
export const ADDRESS_MESSAGE_SHARE = 4;
/** Messages refused (each a strike, forgiven one a second) before a socket is disconnected. */
export const MESSAGE_STRIKE_LIMIT = 10;
/** The least time between two rate-limit notices to one socket, in ms. */
const NOTICE_INTERVAL_MS = 1000;

/**
 * Checks and completes `limits` with {@link CHAT_APP_LIMITS}.
 * @throws {TypeError|RangeError} for a limit that is not a positive integer.
 */
export function resolveLimits(limits: Partial<ChatAppLimits> = {}): ChatAppLimits {
  const resolved = { ...CHAT_APP_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) checkInteger(`limits.${name}`, value, 1);
  return resolved;
}

/**
 * The address a client connects from: the peer's, or, with `trustProxy`, the last entry of
 * `X-Forwarded-For` (what the nearest proxy saw). Trust it only when the port is reachable through
 * the proxy alone: otherwise a client writes the header and picks its own address.
 */
export function clientAddress(
  forwardedFor: string | string[] | undefined,
  peer: string | undefined,
  trustProxy: boolean,
): string | undefined {
  if (!trustProxy || forwardedFor === undefined) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = header.slice(header.lastIndexOf(',') + 1).trim();
  return isIP(last) === 0 ? peer : last;
}

/** The key a socket's per-address limits count under. */
export function limitKeyOf(socket: Socket, trustProxy = false): string {
  const user = (socket.data as ChatSocketData).user;
  // The nc gateway connects every terminal user from this machine, with a token this server
  // signed `via: tcp` (it cannot be claimed otherwise): the gateway limits each by its own
  // address, so here each counts on its own.
  if (user?.via === 'tcp') return `tcp:${user.id}`;
  const { headers, address } = socket.handshake;
  return addressKey(clientAddress(headers['x-forwarded-for'], address, trustProxy));
}

/** What {@link createChatLimiter} returns. */
export interface ChatLimiter {
  readonly guard: FloodGuard;
  /** Installs the guard: call after the auth middlewares (the key of a connection needs its user). */
  install(io: Server): void;
  /**
   * Spends one message from the socket's and its address's budget. Returns a refusal to answer
   * when over it (the socket was also sent a `notice`, or disconnected when it kept on).
   */
  takeMessage(socket: Socket): ChatRefusal | undefined;
}

type Ack = (answer: unknown) => void;

/** Makes the limiter of one server. */
export function createChatLimiter(
  limits: ChatAppLimits,
  { trustProxy = false, clock }: { trustProxy?: boolean; clock?: RateClock } = {},
): ChatLimiter {
  const keyOf = (socket: Socket): string => limitKeyOf(socket, trustProxy);
  // Every message is an event too: the guard's own budget stays above the message budget (twice
  // it, for typing and the other requests around the messages), so raising the chat's message
  // limits is never undone by stage 4's default of 20 events a second.
  const guard = createFloodGuard({
    errorEvent: 'notice',
    addressOf: keyOf,
    eventsPerSecond: Math.max(FLOOD_GUARD_DEFAULTS.eventsPerSecond, 2 * limits.messagesPerSecond),
    eventBurst: Math.max(FLOOD_GUARD_DEFAULTS.eventBurst, 2 * limits.messageBurst),
    ...(clock === undefined ? {} : { clock }),
  });
  const perAddress = new KeyedLimiter({
    capacity: limits.messageBurst * ADDRESS_MESSAGE_SHARE,
    refillPerSecond: limits.messagesPerSecond * ADDRESS_MESSAGE_SHARE,
    ...(clock === undefined ? {} : { clock }),
  });
  const perSocket = new WeakMap<
    Socket,
    {
      /** The socket's per-address key: fixed by its handshake and user, so read once. */
      key: string;
      messages: TokenBucket;
      strikes: TokenBucket;
      lastNoticeAt: number;
      cutOff: boolean;
    }
  >();
  const now = (): number => (clock ?? performance).now();

  const budgetOf = (socket: Socket) => {
    let budget = perSocket.get(socket);
    if (budget === undefined) {
      budget = {
        key: keyOf(socket),
        messages: new TokenBucket({
          capacity: limits.messageBurst,
          refillPerSecond: limits.messagesPerSecond,
          ...(clock === undefined ? {} : { clock }),
        }),
        strikes: new TokenBucket({
          capacity: MESSAGE_STRIKE_LIMIT,
          refillPerSecond: 1,
          ...(clock === undefined ? {} : { clock }),
        }),
        lastNoticeAt: Number.NEGATIVE_INFINITY,
        cutOff: false,
      };
      perSocket.set(socket, budget);
    }
    return budget;
  };

  return {
    guard,
    install(io) {
      io.use(guard.admit);
      io.on('connection', (socket) => {
        // The guard answers a throttled event's ack `{ error }`; the contract's refusals also
        // say `ok: false`, and a person is told with a notice. Wrapping the ack comes first, so
        // the guard's middleware sees (and answers through) the wrapped one.
        socket.use((packet, next) => {
          const last = packet.length - 1;
          const ack = packet[last];
          if (last >= 1 && typeof ack === 'function') {
            packet[last] = (answer: unknown) => {
              const error = (
                answer as { ok?: unknown; error?: { code?: unknown; reason?: unknown } }
              )?.error;
              if (error !== undefined && (answer as { ok?: unknown }).ok === undefined) {
                (ack as Ack)({ ok: false, error });
                if (error.code === 'REALTIME_ERR_RATE_LIMITED')
                  notify(socket, String(error.reason));
                return;
              }
              (ack as Ack)(answer);
            };
          }
          next();
        });
        guard.protect(socket);
      });
    },
    takeMessage(socket) {
      const budget = budgetOf(socket);
      let taken = budget.messages.take();
      let perSocketRefused = true;
      if (taken.allowed) {
        taken = perAddress.take(budget.key);
        if (taken.allowed) return undefined;
        perSocketRefused = false;
      }
      // Words only for a refusal: an allowed message builds no string.
      const reason = perSocketRefused
        ? `slow down: at most ${limits.messagesPerSecond} messages a second (${limits.messageBurst} at once)`
        : `slow down: too many messages from your address (at most ${limits.messagesPerSecond * ADDRESS_MESSAGE_SHARE} a second)`;
      const waited = `${reason}; retry in ${Math.ceil(taken.waitMs)} ms`;
      if (budget.cutOff) {
        // Told and being disconnected: nothing more.
      } else if (!budget.strikes.take().allowed) {
        budget.cutOff = true;
        socket.emit('notice', {
          code: 'REALTIME_ERR_RATE_LIMITED',
          reason: `disconnected: you kept sending more than ${limits.messagesPerSecond} messages a second after being told to slow down`,
        });
        // After the answers already on their way (handlers that await a store), so each
        // request read before the cut-off is still answered.
        setImmediate(() => socket.disconnect(true));
      } else if (now() - budget.lastNoticeAt >= NOTICE_INTERVAL_MS) {
        budget.lastNoticeAt = now();
        socket.emit('notice', { code: 'REALTIME_ERR_RATE_LIMITED', reason: waited });
      }
      return { ok: false, error: { code: 'REALTIME_ERR_RATE_LIMITED', reason: waited } };
    },
  };

  function notify(socket: Socket, reason: string): void {
    const budget = budgetOf(socket);
    if (now() - budget.lastNoticeAt < NOTICE_INTERVAL_MS) return;
    budget.lastNoticeAt = now();
    socket.emit('notice', { code: 'REALTIME_ERR_RATE_LIMITED', reason });
  }
}
