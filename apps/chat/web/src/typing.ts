/**
 * When the page tells a room "I am typing": once when typing starts, again every `intervalMs` while
 * it goes on (the server forgets a typing state after 5 s), and "stopped" once on send or blur.
 * Pure: the clock is passed in, and each call says what to emit, if anything.
 */

/** How often a "still typing" is repeated while keys keep coming, in ms. */
export const DEFAULT_TYPING_INTERVAL_MS = 3000;

/** The typing throttle of one input. */
export interface TypingThrottle {
  /** A key was typed in `room` at `now`: the state to emit, or undefined for nothing. */
  input(room: string, now: number): { room: string; typing: true } | undefined;
  /** Sent, blurred, emptied or moved away: the "stopped" to emit, or undefined if none is due. */
  stop(): { room: string; typing: false } | undefined;
}

/** A throttle repeating "typing" at most every `intervalMs`. */
export function createTypingThrottle(intervalMs = DEFAULT_TYPING_INTERVAL_MS): TypingThrottle {
  let room: string | undefined;
  let sentAt = 0;
  const stop = (): { room: string; typing: false } | undefined => {
    if (room === undefined) return undefined;
    const stopped = { room, typing: false as const };
    room = undefined;
    return stopped;
  };
  return {
    input(inRoom, now) {
      if (room === inRoom && now - sentAt < intervalMs) return undefined;
      room = inRoom;
      sentAt = now;
      return { room: inRoom, typing: true };
    },
    stop,
  };
}
