/** Messages as an async iterable, with backpressure: a reader that falls behind pauses the socket. */
/** A message, as the async iterator of `WebSocketConnection` yields it. */
export interface WebSocketMessage {
  /** The payload (UTF-8 bytes of a text message). */
  readonly data: Buffer;
  /** Whether it was a binary message (else text, already checked to be UTF-8). */
  readonly isBinary: boolean;
}

/** Where the iterator pauses the socket: this many messages unread (it resumes at half). */
const HIGH_WATER = 16;

/**
 * Starts listening to a connection's `'message'` and `'close'` events; returns what stops it.
 */
export type SubscribeMessages = (
  onMessage: (data: Buffer, isBinary: boolean) => void,
  onClose: () => void,
) => () => void;

/**
 * Yields every message `subscribe` reports from now on until the close; while `HIGH_WATER`
 * messages are unread, `flow` (the socket) is paused, so TCP carries the backpressure to the
 * peer. Leaving the loop early removes the listeners and resumes the socket.
 */
export async function* iterateMessages(
  subscribe: SubscribeMessages,
  flow: { pause(): unknown; resume(): unknown },
  closed: boolean,
): AsyncGenerator<WebSocketMessage, void, undefined> {
  const queue: WebSocketMessage[] = [];
  let wake: (() => void) | undefined;
  let done = closed;
  let paused = false;
  const onMessage = (data: Buffer, isBinary: boolean): void => {
    queue.push({ data, isBinary });
    if (queue.length >= HIGH_WATER && !paused) {
      paused = true;
      flow.pause();
    }
    wake?.();
  };
  const onClose = (): void => {
    done = true;
    wake?.();
  };
  const unsubscribe = subscribe(onMessage, onClose);
  try {
    for (;;) {
      const message = queue.shift();
      if (message !== undefined) {
        if (paused && queue.length < HIGH_WATER / 2) {
          paused = false;
          flow.resume();
        }
        yield message;
      } else if (done) {
        return;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
  } finally {
    unsubscribe();
    if (paused) flow.resume();
  }
}
