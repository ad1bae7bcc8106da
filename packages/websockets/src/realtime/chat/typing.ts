/**
 * Typing indicators, pure: "ada is typing…" starts when a client says so, stops when it says so
 * (or sends its message), and expires by itself when no refresh came for `expireMs` (a client
 * that vanished mid-word must not type for ever). Starts are throttled per user and room, so a
 * client that sends one per keystroke costs the room at most two broadcasts per `throttleMs`.
 */

import { type ConnectionClock, systemClock } from '@socketlab/multiplexing';

/** A change to broadcast to a room: someone started or stopped typing. */
export interface TypingChange {
  readonly room: string;
  readonly userId: string;
  readonly typing: boolean;
}

/** What {@link TypingTracker.start} did. */
export type TypingStartResult = 'started' | 'refreshed' | 'throttled';

/** Options of {@link TypingTracker}. */
export interface TypingOptions {
  /** How long an indicator lasts without a refresh, in ms. @default 5000 */
  expireMs?: number;
  /** The least time between two starts (or refreshes) a user's start is accepted, in ms. @default 1000 */
  throttleMs?: number;
  /** Time and timers (tests pass a manual clock). @default systemClock */
  clock?: ConnectionClock;
  /** Called with each change (a start, a stop, an expiry). */
  onChange?: (change: TypingChange) => void;
}

interface Typist {
  /** When the last accepted start was. */
  lastStartAt: number;
  /** The expiry timer while typing, `undefined` once stopped. */
  timer?: unknown;
  /** After a stop inside the throttle window: the timer that forgets the entry when it ends. */
  forget?: unknown;
}

const keyOf = (room: string, userId: string): string => `${room.length}:${room}${userId}`;

/**
 * Tracks who is typing in which room.
 * @example
 * const typing = new TypingTracker({ onChange: (c) => io.to(c.room).emit('typing', c) });
 * typing.start('general', 'ada'); // 'started', and onChange({ room, userId, typing: true })
 */
export class TypingTracker {
  readonly expireMs: number;
  readonly throttleMs: number;
  readonly #clock: ConnectionClock;
  readonly #onChange: (change: TypingChange) => void;
  readonly #typists = new Map<string, Typist & { room: string; userId: string }>();

  /** @throws {RangeError} when `expireMs` is not > 0 or `throttleMs` not >= 0 (finite numbers). */
  constructor({
    expireMs = 5000,
    throttleMs = 1000,
    clock = systemClock,
    onChange = () => {},
  }: TypingOptions = {}) {
    if (!Number.isFinite(expireMs) || expireMs <= 0) {
      throw new RangeError(`expireMs must be a finite number > 0, got ${expireMs}`);
    }
    if (!Number.isFinite(throttleMs) || throttleMs < 0) {
      throw new RangeError(`throttleMs must be a finite number >= 0, got ${throttleMs}`);
    }
    this.expireMs = expireMs;
    this.throttleMs = throttleMs;
    this.#clock = clock;
    this.#onChange = onChange;
  }

  /**
   * `userId` is typing in `room`: `'started'` (reported) when they were not; `'refreshed'` (the
   * expiry starts again, nothing reported) when they were; `'throttled'` (ignored) when their last
   * accepted start was less than `throttleMs` ago, typing or not.
   */
  start(room: string, userId: string): TypingStartResult {
    const key = keyOf(room, userId);
    const now = this.#clock.now();
    const typist = this.#typists.get(key);
    if (typist !== undefined && now - typist.lastStartAt < this.throttleMs) return 'throttled';
    const entry = typist ?? { room, userId, lastStartAt: now };
    entry.lastStartAt = now;
    if (entry.forget !== undefined) {
      this.#clock.clearTimeout(entry.forget);
      entry.forget = undefined;
    }
    this.#typists.set(key, entry);
    const wasTyping = entry.timer !== undefined;
    if (wasTyping) this.#clock.clearTimeout(entry.timer);
    entry.timer = this.#clock.setTimeout(() => this.#stop(key, entry), this.expireMs);
    if (wasTyping) return 'refreshed';
    this.#onChange({ room, userId, typing: true });
    return 'started';
  }

  /** `userId` stopped typing in `room` (said so, sent the message, or left). @returns whether they were typing. */
  stop(room: string, userId: string): boolean {
    const key = keyOf(room, userId);
    const typist = this.#typists.get(key);
    if (typist?.timer === undefined) return false;
    this.#clock.clearTimeout(typist.timer);
    this.#stop(key, typist);
    return true;
  }

  /** The users typing in `room` now, in the order they started. */
  typing(room: string): string[] {
    const users: string[] = [];
    for (const typist of this.#typists.values()) {
      if (typist.room === room && typist.timer !== undefined) users.push(typist.userId);
    }
    return users;
  }

  /** The entries kept: those typing, and those whose throttle window has not ended. */
  get size(): number {
    return this.#typists.size;
  }

  /** Cancels every timer and forgets everything, without reporting changes. */
  clear(): void {
    for (const typist of this.#typists.values()) {
      if (typist.timer !== undefined) this.#clock.clearTimeout(typist.timer);
      if (typist.forget !== undefined) this.#clock.clearTimeout(typist.forget);
    }
    this.#typists.clear();
  }

  #stop(key: string, typist: Typist & { room: string; userId: string }): void {
    typist.timer = undefined;
    // Keep the entry while its throttle window lasts (a start right after a stop stays throttled),
    // and forget it after, so memory is bounded by the users who started in the last throttleMs.
    const left = typist.lastStartAt + this.throttleMs - this.#clock.now();
    if (left <= 0) this.#typists.delete(key);
    else {
      typist.forget = this.#clock.setTimeout(() => {
        typist.forget = undefined;
        if (typist.timer === undefined) this.#typists.delete(key);
      }, left);
    }
    this.#onChange({ room: typist.room, userId: typist.userId, typing: false });
  }
}
