/**
 * One direction of the impaired TCP proxy: moves bytes from one socket to the other as scheduled
 * pieces (split, delayed, throttled, cut), and can hold them (a stall) without losing any.
 */
import type net from 'node:net';
import type { SeededRandom } from './prng.ts';
import type { TcpImpairmentOptions } from './tcp-proxy.ts';

/** {@link TcpImpairmentOptions} with every default filled in and every value checked. */
export type TcpSettings = { readonly [K in keyof TcpImpairmentOptions]-?: number };

export interface Pump {
  stop(): void;
  /** Stops forwarding and reading, keeping what was read. */
  hold(): void;
  /** Forwards what was held, then reads again. */
  release(): void;
  readonly held: boolean;
  /** Bytes read from the sender and not yet written to the receiver. */
  buffered(): number;
}

/**
 * Moves bytes from `from` to `to` as scheduled pieces: split, delayed (order kept), throttled,
 * and cut after `cutAfterBytes`. Pauses `from` while more than `maxBuffered` bytes wait.
 */
export function pump(
  from: net.Socket,
  to: net.Socket,
  settings: TcpSettings,
  random: SeededRandom,
  counters: { bytes: number; pieces: number },
  maxBuffered: number,
  onCut: () => void,
): Pump {
  const queue: { data: Buffer; at: number }[] = [];
  let queued = 0;
  let lastAt = 0;
  let throttleFree = 0;
  let sent = 0;
  let ended = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let waitingDrain = false;
  let held = false;

  const schedule = (data: Buffer): void => {
    const size = settings.chunkBytes > 0 ? settings.chunkBytes : data.length;
    for (let offset = 0; offset < data.length; offset += size) {
      const piece = data.subarray(offset, offset + size);
      const now = Date.now();
      let at = now + settings.delayMs;
      if (settings.jitterMs > 0) at += random.float() * settings.jitterMs;
      at = Math.max(at, lastAt);
      if (settings.bytesPerSecond > 0) {
        at = Math.max(at, throttleFree);
        throttleFree = at + (piece.length * 1000) / settings.bytesPerSecond;
      }
      lastAt = at;
      queue.push({ data: piece, at });
      queued += piece.length;
    }
    if (queued > maxBuffered || held) from.pause();
    flush();
  };

  const flush = (): void => {
    if (stopped || held || waitingDrain || timer) return;
    for (;;) {
      const head = queue[0];
      if (!head) break;
      const wait = head.at - Date.now();
      if (wait > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          flush();
        }, wait);
        return;
      }
      queue.shift();
      queued -= head.data.length;
      let data = head.data;
      const cutting = settings.cutAfterBytes >= 0 && sent + data.length >= settings.cutAfterBytes;
      if (cutting) data = data.subarray(0, settings.cutAfterBytes - sent);
      sent += data.length;
      counters.bytes += data.length;
      counters.pieces++;
      if (cutting) {
        stopped = true;
        if (data.length > 0) to.write(data, () => onCut());
        else onCut();
        return;
      }
      if (!to.write(data)) {
        waitingDrain = true;
        to.once('drain', () => {
          waitingDrain = false;
          flush();
        });
        return;
      }
    }
    if (queued <= maxBuffered && from.isPaused()) from.resume();
    if (ended && queue.length === 0 && !to.destroyed) to.end();
  };

  from.on('data', (chunk: Buffer) => {
    if (!stopped) schedule(chunk);
  });
  from.on('end', () => {
    ended = true;
    flush();
  });
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
      queued = 0;
    },
    hold() {
      if (held || stopped) return;
      held = true;
      // Not reading is what bounds a stall: the kernel buffers fill and TCP stops the sender.
      from.pause();
    },
    release() {
      if (!held) return;
      held = false;
      if (stopped) return;
      if (queue.length === 0 && queued <= maxBuffered) from.resume();
      flush();
    },
    get held() {
      return held;
    },
    buffered() {
      return queued + from.readableLength;
    },
  };
}
