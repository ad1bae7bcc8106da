/**
 * The base of this package's own transports: events go first to the one {@link TransportSink}
 * attached (the managed connection, called directly: no listener closures), then to listeners
 * added with `on`/`once`, whose emitter is only created when someone adds one.
 */
import { EventEmitter } from 'node:events';
import {
  ATTACH_SINK,
  type ConnectionTransport,
  type SinkTransport,
  type TransportEvents,
  type TransportSink,
} from './transport.ts';

type Listener<E extends keyof TransportEvents> = (...args: TransportEvents[E]) => void;
type AnyListener = (...args: unknown[]) => void;
type Emitter = EventEmitter<TransportEvents>;

/**
 * `on`, `once` and `off` return the emitter that holds the listeners (made by the first call),
 * so calls chain as on an `EventEmitter`.
 */
export abstract class DirectTransport
  implements Pick<ConnectionTransport, 'on' | 'once' | 'off'>, SinkTransport
{
  #sink: TransportSink<unknown> | undefined;
  #target: unknown;
  #events: EventEmitter<TransportEvents> | undefined;

  [ATTACH_SINK]<T>(sink: TransportSink<T>, target: T): void {
    if (this.#sink !== undefined) throw new Error('this transport is already managed');
    this.#sink = sink as TransportSink<unknown>;
    this.#target = target;
  }

  on<E extends keyof TransportEvents>(event: E, listener: Listener<E>): Emitter {
    return this.#listen('on', event, listener);
  }

  once<E extends keyof TransportEvents>(event: E, listener: Listener<E>): Emitter {
    return this.#listen('once', event, listener);
  }

  off<E extends keyof TransportEvents>(event: E, listener: Listener<E>): Emitter {
    return this.#listen('off', event, listener);
  }

  /** The emitter that holds the listeners, made by the first call. */
  #listen(method: 'on' | 'once' | 'off', event: string, listener: unknown): Emitter {
    this.#events ??= new EventEmitter<TransportEvents>();
    (this.#events as EventEmitter)[method](event, listener as AnyListener);
    return this.#events;
  }

  protected emitMessage(data: Buffer): void {
    this.#sink?.message(this.#target, data);
    this.#events?.emit('message', data);
  }

  protected emitPong(): void {
    this.#sink?.pong(this.#target);
    this.#events?.emit('pong');
  }

  protected emitDrain(): void {
    this.#sink?.drain(this.#target);
    this.#events?.emit('drain');
  }

  /** Emitted once; the sink and the listeners are let go after. */
  protected emitClose(error: Error | undefined): void {
    const sink = this.#sink;
    const target = this.#target;
    const events = this.#events;
    this.#sink = undefined;
    this.#target = undefined;
    sink?.close(target, error);
    events?.emit('close', error);
    events?.removeAllListeners();
  }
}
