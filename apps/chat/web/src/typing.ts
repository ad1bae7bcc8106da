/**
 * When the page tells a room "I am typing": once when typing starts, again every `intervalMs` while
 * it goes on (the server forgets a typing state after 5 s), and "stopped" once on send or blur.
 * The server ignores a start less than a second after the previous one in that room (stage 4's
 * TypingTracker `throttleMs`), so such a start waits for a later key. Pure: the clock is passed in,
 * and each call says what to emit, if anything.
 */

/** How often a "still typing" is repeated while keys keep coming, in ms. */
export const DEFAULT_TYPING_INTERVAL_MS = 3000;
/** The least time between two starts in one room that the server accepts, in ms. */
export const DEFAULT_TYPING_RESTART_MS = 1000;

/** The typing throttle of one input. */
export interface TypingThrottle {
  /** A key was typed in `room` at `now`: the state to emit, or undefined for nothing. */
  input(room: string, now: number): { room: string; typing: true } | undefined;
  /** Sent, blurred, emptied or moved away: the "stopped" to emit, or undefined if none is due. */
  stop(): { room: string; typing: false } | undefined;
}

/** A throttle repeating "typing" every `intervalMs`, never starting twice within `restartMs`. */
export function createTypingThrottle(
  intervalMs = DEFAULT_TYPING_INTERVAL_MS,
  restartMs = DEFAULT_TYPING_RESTART_MS,
): TypingThrottle {
  /** The room the page said it is typing in, if it has not said it stopped. */
  let typingIn: string | undefined;
  /** When a start was last sent, by room (the rooms typed in; cleared of old ones as it goes). */
  const startedAt = new Map<string, number>();
  return {
    input(room, now) {
      const last = startedAt.get(room);
      const wait = typingIn === room ? intervalMs : restartMs;
      if (last !== undefined && now - last < wait) return undefined;
      for (const [other, at] of startedAt) if (now - at >= restartMs) startedAt.delete(other);
      startedAt.set(room, now);
      typingIn = room;
      return { room, typing: true };
    },
    stop() {
      if (typingIn === undefined) return undefined;
      const stopped = { room: typingIn, typing: false as const };
      typingIn = undefined;
      return stopped;
    },
  };
}
