/// <reference lib="dom" />
/**
 * The browser side of the Chromium interop tests: the `lab` a page runs around its WebSocket
 * (recording what it receives, in order, and sending what a test asks for). The browser itself
 * is testkit's `launchChromium()`.
 */

/** What the page records, in the order its WebSocket reported it. */
export type PageEvent =
  | { type: 'message'; binary: false; text: string }
  | { type: 'message'; binary: true; length: number; sha256?: string }
  | { type: 'close'; code: number; reason: string; wasClean: boolean }
  | { type: 'error' };

/** The page's side of a test, installed as `window.lab` by {@link installLab}. */
export interface Lab {
  /** Opens `url`; resolves `'open'`, or `'failed'` when it closed before opening. */
  connect(url: string, protocols?: string[]): Promise<'open' | 'failed'>;
  /** The open socket's `protocol`. */
  protocol(): string;
  /** The next recorded event (waits for one). */
  next(): Promise<PageEvent>;
  /** Send every message back as it came. */
  echo: boolean;
  send(text: string): void;
  /** Sends `length` bytes of {@link pseudoRandomBytes}(length, seed). */
  sendBytes(length: number, seed?: number): void;
  /** Closes with a code and reason, or with neither. */
  close(code?: number, reason?: string): void;
}

/**
 * Runs in the page (playwright serializes it, so it uses nothing from outside). Binary messages
 * are recorded as their length and SHA-256 (just the length when echoing), so 16 MiB never
 * crosses the DevTools protocol.
 */
export function installLab(): void {
  const events: PageEvent[] = [];
  const waiters = new Set<() => void>();
  let ws: WebSocket | undefined;
  // Digests are asynchronous: a chain keeps the events in the order they happened.
  let chain = Promise.resolve();
  const record = (make: () => Promise<PageEvent> | PageEvent): void => {
    chain = chain.then(async () => {
      events.push(await make());
      for (const wake of waiters) wake();
      waiters.clear();
    });
  };
  const hex = (digest: ArrayBuffer): string =>
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  const lab: Lab = {
    echo: false,
    connect(url, protocols = []) {
      return new Promise((resolve) => {
        const socket = new WebSocket(url, protocols);
        ws = socket;
        socket.binaryType = 'arraybuffer';
        socket.onopen = () => resolve('open');
        socket.onerror = () => record(() => ({ type: 'error' }));
        socket.onclose = (event) => {
          record(() => ({
            type: 'close',
            code: event.code,
            reason: event.reason,
            wasClean: event.wasClean,
          }));
          resolve('failed'); // no effect once open
        };
        socket.onmessage = (event) => {
          const data = event.data as string | ArrayBuffer;
          if (typeof data === 'string') {
            if (lab.echo) socket.send(data);
            record(() => ({ type: 'message', binary: false, text: data }));
          } else if (lab.echo) {
            // The echo itself is the check (compared byte for byte where it came from); hashing
            // 16 MiB in a busy renderer costs seconds, so an echoing page records the length only.
            socket.send(data);
            record(() => ({ type: 'message', binary: true, length: data.byteLength }));
          } else {
            record(async () => ({
              type: 'message',
              binary: true,
              length: data.byteLength,
              sha256: hex(await crypto.subtle.digest('SHA-256', data)),
            }));
          }
        };
      });
    },
    async next() {
      for (;;) {
        const event = events.shift();
        if (event !== undefined) return event;
        await new Promise<void>((resolve) => {
          waiters.add(resolve);
        });
      }
    },
    protocol() {
      return ws?.protocol ?? '';
    },
    send(text) {
      ws?.send(text);
    },
    sendBytes(length, seed = 1) {
      // pseudoRandomBytes, written again: this function cannot call out of the page.
      const bytes = new Uint8Array(length);
      let x = seed >>> 0 || 1;
      for (let i = 0; i < length; i++) {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        bytes[i] = x & 0xff;
      }
      ws?.send(bytes);
    },
    close(code, reason) {
      if (code === undefined) ws?.close();
      else ws?.close(code, reason);
    },
  };
  (window as unknown as { lab: Lab }).lab = lab;
}

/** The bytes `lab.sendBytes(length, seed)` sends: the low byte of each xorshift32 step. */
export function pseudoRandomBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
