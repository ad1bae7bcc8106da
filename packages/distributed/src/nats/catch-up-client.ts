/**
 * The client side of `serveJetStreamFeed` (catch-up.ts), for socket.io-client: catches up on
 * every connect, holds the live flow meanwhile, and hands the application each message once, in
 * stream order, whatever the wire carried twice.
 * @see https://socket.io/docs/v4/client-api/#socketemitwithackeventname-args
 */
import type { Socket as ClientSocket } from 'socket.io-client';
import { DistributedError } from '../errors.ts';
import {
  JETSTREAM_FEED_DEFAULTS,
  type JetStreamCatchUpAck,
  type JetStreamFeedMessage,
} from './catch-up.ts';

/** Options of {@link trackJetStreamFeed}. */
export interface JetStreamFeedTrackerOptions {
  /** Each message of the feed, once, in stream order. */
  onMessage: (message: JetStreamFeedMessage) => void;
  /**
   * Runs on every connect before the catch-up: join the rooms here (the server replays only the
   * rooms the socket is in, and a reconnected socket is in none).
   */
  beforeCatchUp?: (socket: ClientSocket) => unknown;
  /** The last sequence already seen (kept by the application). @default none: start from now */
  lastSeq?: number;
  /** The client cannot catch up (too far behind, or ahead of a stream made anew): resync from the source of truth; the feed goes on after `resetTo`. */
  onReset?: (resetTo: number, error: DistributedError) => void;
  /** A catch-up failed (no answer, a broker failure): the tracker stays unsynced until `catchUp()` or the next connect. */
  onError?: (error: DistributedError) => void;
  /** @default 'js:message' */
  event?: string;
  /** @default 'js:catch-up' */
  catchUpEvent?: string;
  /** How long a catch-up may take, in milliseconds. @default 10000 */
  ackTimeoutMs?: number;
  /** Live messages held during a catch-up; past it they are dropped and one more catch-up fetches them. @default 10000 */
  maxHeld?: number;
}

/** What a tracker has seen. */
export interface JetStreamFeedTrackerStats {
  /** Messages handed to `onMessage`. */
  delivered: number;
  /** Messages received at or below the last sequence already delivered (or caught up to), dropped. */
  duplicates: number;
  /** Messages received as replay. */
  replayed: number;
  /** Catch-ups answered `ok`. */
  catchUps: number;
  /** Catch-ups answered with a reset. */
  resets: number;
}

/** A running {@link trackJetStreamFeed}. */
export interface JetStreamFeedTracker {
  /** The last sequence delivered or caught up to (keep it to resume in another session). */
  readonly lastSeq: number | undefined;
  /** False from a connect until its catch-up is done; live messages are held meanwhile. */
  readonly synced: boolean;
  readonly stats: Readonly<JetStreamFeedTrackerStats>;
  /** Catches up now (done by itself on every connect, after `beforeCatchUp`). */
  catchUp(): Promise<JetStreamCatchUpAck>;
  /** Stops listening to the socket. */
  close(): void;
}

const isFeedMessage = (m: unknown): m is JetStreamFeedMessage =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as JetStreamFeedMessage).subject === 'string' &&
  Number.isSafeInteger((m as JetStreamFeedMessage).seq) &&
  (m as JetStreamFeedMessage).seq >= 1;

/**
 * The client side of `serveJetStreamFeed`, for socket.io-client: on every connect it runs
 * `beforeCatchUp`, asks to catch up from the last sequence it has, holds live messages until the
 * answer, then hands `onMessage` every message whose sequence is above the last one delivered,
 * in order. The wire carries some messages twice (replay and live overlap, a lagging instance);
 * `stats.duplicates` counts them. With the socket's own reconnection on, a client moved to
 * another instance resumes there.
 * @throws {RangeError} for an `ackTimeoutMs` or `maxHeld` that is not a positive integer.
 * @example
 * const tracker = trackJetStreamFeed(socket, {
 *   beforeCatchUp: (s) => s.emitWithAck('subscribe', 'prices:acme'),
 *   onMessage: ({ seq, data }) => show(seq, data),
 * });
 */
export function trackJetStreamFeed(
  socket: ClientSocket,
  options: JetStreamFeedTrackerOptions,
): JetStreamFeedTracker {
  const d = JETSTREAM_FEED_DEFAULTS;
  const { onMessage, beforeCatchUp, onReset, onError } = options;
  const { event = d.event, catchUpEvent = d.catchUpEvent } = options;
  const { ackTimeoutMs = d.ackTimeoutMs, maxHeld = d.maxHeld } = options;
  for (const [name, value] of [
    ['ackTimeoutMs', ackTimeoutMs],
    ['maxHeld', maxHeld],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  const stats: JetStreamFeedTrackerStats = {
    delivered: 0,
    duplicates: 0,
    replayed: 0,
    catchUps: 0,
    resets: 0,
  };
  let lastSeq = options.lastSeq;
  let synced = false;
  let held: JetStreamFeedMessage[] = [];
  let overflow = false;
  let running: Promise<JetStreamCatchUpAck> | undefined;

  const deliver = (m: JetStreamFeedMessage): void => {
    if (lastSeq !== undefined && m.seq <= lastSeq) {
      stats.duplicates++;
      return;
    }
    lastSeq = m.seq;
    stats.delivered++;
    onMessage(m);
  };
  const onWire = (m: unknown): void => {
    if (!isFeedMessage(m)) return;
    if (m.replay === true) {
      stats.replayed++;
      deliver(m);
    } else if (synced) {
      deliver(m);
    } else if (!overflow) {
      if (held.length < maxHeld) held.push(m);
      else {
        held = []; // dropped now, fetched by one more catch-up
        overflow = true;
      }
    }
  };
  const fail = (error: DistributedError): JetStreamCatchUpAck => {
    if (socket.connected) onError?.(error); // else the next connect catches up again
    return { ok: false, code: error.code, message: error.message };
  };

  const ask = async (): Promise<JetStreamCatchUpAck> => {
    for (let round = 0; round < 3; round++) {
      let answer: JetStreamCatchUpAck;
      try {
        answer = await socket
          .timeout(ackTimeoutMs)
          .emitWithAck(catchUpEvent, { lastSeq: lastSeq ?? null });
      } catch (cause) {
        return fail(
          new DistributedError(
            socket.connected ? 'DISTRIBUTED_ERR_TIMEOUT' : 'DISTRIBUTED_ERR_UNAVAILABLE',
            `no answer to the catch-up within ${ackTimeoutMs} ms`,
            { cause },
          ),
        );
      }
      if (!answer.ok && answer.resetTo === undefined) {
        return fail(new DistributedError(answer.code, answer.message));
      }
      if (answer.ok) {
        stats.catchUps++;
        lastSeq = Math.max(lastSeq ?? 0, answer.lastSeq);
      } else {
        stats.resets++;
        lastSeq = answer.resetTo as number;
        onReset?.(lastSeq, new DistributedError(answer.code, answer.message));
      }
      const pending = held;
      const dropped = overflow;
      held = [];
      overflow = false; // held from here on, for the next round's answer
      if (!dropped) {
        for (const m of pending) deliver(m);
        synced = true;
        return answer;
      }
    }
    return fail(
      new DistributedError('DISTRIBUTED_ERR_LIMIT', `over ${maxHeld} live messages held, 3 times`),
    );
  };
  const catchUp = (): Promise<JetStreamCatchUpAck> => {
    if (running === undefined) {
      synced = false;
      running = ask().finally(() => {
        running = undefined;
      });
    }
    return running;
  };
  const onConnect = async (): Promise<void> => {
    synced = false;
    if (running !== undefined) await running;
    try {
      await beforeCatchUp?.(socket);
    } catch (cause) {
      fail(new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', 'beforeCatchUp failed', { cause }));
      return;
    }
    if (socket.connected) await catchUp();
  };
  const onConnectListener = (): void => void onConnect();
  const onDisconnect = (): void => {
    synced = false;
    held = []; // all stored before the next catch-up reads the last sequence: it covers them
    overflow = false;
  };
  socket.on(event, onWire);
  socket.on('connect', onConnectListener);
  socket.on('disconnect', onDisconnect);
  if (socket.connected) onConnectListener();

  return {
    get lastSeq() {
      return lastSeq;
    },
    get synced() {
      return synced;
    },
    stats,
    catchUp,
    close() {
      socket.off(event, onWire);
      socket.off('connect', onConnectListener);
      socket.off('disconnect', onDisconnect);
    },
  };
}
