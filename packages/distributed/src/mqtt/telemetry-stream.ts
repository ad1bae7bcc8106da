/**
 * A bounded, transport-neutral live stream of telemetry readings: an async iterator (and an event
 * emitter) that a Socket.IO server, an SSE endpoint or a conflating feed can consume. When the
 * consumer falls behind by `highWaterMark` readings, the oldest is dropped and counted: live
 * telemetry is worth more fresh than complete.
 */
import { EventEmitter } from 'node:events';
import { checkInteger } from '@socketlab/internal';

/** One validated message from an MQTT topic. */
export interface Reading<T = unknown> {
  readonly topic: string;
  readonly value: T;
  /** The QoS it was delivered with (the lower of the publisher's and the subscription's). */
  readonly qos: 0 | 1 | 2;
  /** True when the broker sent it from its retained store on subscribe (the last known value). */
  readonly retained: boolean;
  /** `Date.now()` when it arrived. */
  readonly receivedAt: number;
}

/** Events of a {@link TelemetryStream}. */
export interface TelemetryStreamEvents<T> {
  reading: [reading: Reading<T>];
  /** The oldest buffered reading was dropped because the consumer is `highWaterMark` behind. */
  drop: [reading: Reading<T>];
  close: [];
}

/**
 * Readings matching one topic filter, in arrival order, buffered up to `highWaterMark`.
 * Iterate it with `for await`, or listen to `'reading'`; {@link TelemetryStream.close} ends both.
 * @example
 * for await (const reading of client.stream('sensors/+/temp')) io.to(reading.topic).emit('reading', reading);
 */
export class TelemetryStream<T = unknown>
  extends EventEmitter<TelemetryStreamEvents<T>>
  implements AsyncIterable<Reading<T>>
{
  readonly filter: string;
  readonly highWaterMark: number;
  #buffer: Reading<T>[] = [];
  #waiting: ((result: IteratorResult<Reading<T>>) => void) | undefined;
  #closed = false;
  #dropped = 0;
  readonly #onClose: () => Promise<void>;

  /**
   * @param filter - the MQTT topic filter the readings match.
   * @param highWaterMark - readings buffered before the oldest is dropped (1…1,000,000). @default 1000
   * @param onClose - called once by {@link TelemetryStream.close} (the client unsubscribes there).
   */
  constructor(
    filter: string,
    highWaterMark = 1_000,
    onClose: () => Promise<void> = async () => {},
  ) {
    super();
    this.filter = filter;
    this.highWaterMark = checkInteger('highWaterMark', highWaterMark, 1, 1_000_000);
    this.#onClose = onClose;
  }

  /** Readings dropped so far because the consumer was behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Readings waiting for the iterator. */
  get buffered(): number {
    return this.#buffer.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds a reading (the client calls it); ignored once closed. */
  push(reading: Reading<T>): void {
    if (this.#closed) return;
    this.emit('reading', reading);
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: reading, done: false });
      return;
    }
    this.#buffer.push(reading);
    if (this.#buffer.length > this.highWaterMark) {
      const dropped = this.#buffer.shift() as Reading<T>;
      this.#dropped++;
      this.emit('drop', dropped);
    }
  }

  /** Waits for the next reading; `undefined` once closed and drained. */
  async next(): Promise<Reading<T> | undefined> {
    const result = await this.#next();
    return result.done ? undefined : result.value;
  }

  /** Ends the stream: the iterator finishes after what is buffered; the client unsubscribes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = undefined;
    this.emit('close');
    await this.#onClose();
  }

  [Symbol.asyncIterator](): AsyncIterator<Reading<T>> {
    return {
      next: () => this.#next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  #next(): Promise<IteratorResult<Reading<T>>> {
    const reading = this.#buffer.shift();
    if (reading !== undefined) return Promise.resolve({ value: reading, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiting) return Promise.reject(new Error('TelemetryStream: one next() at a time'));
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }
}
