/**
 * ServiceConnection: one negotiated connection of the service protocol, the same class on both
 * sides. It sends requests (correlated by id, each with a timeout) and one-way events, answers the
 * peer's requests with a handler, and keeps both directions bounded: outgoing sends wait for
 * `'drain'` (stage 2's FramedSocket), and while `maxConcurrentHandlers` requests are being
 * handled no further frame is read, so the socket pauses and TCP slows the peer down.
 */
import { checkInteger } from '@socketlab/internal';
import type { FramedSocket } from '@socketlab/tcp-udp';
import { DISTRIBUTED_ERROR_CODES, DistributedError, type DistributedErrorCode } from '../errors.ts';
import type { ServiceMessage, ServiceProtocol } from './registry.ts';
import {
  decodeServiceFrame,
  encodeCall,
  encodeCallError,
  encodeClose,
  encodeEvent,
  type ServiceCloseReason,
} from './wire.ts';

/** Defaults of {@link ServiceConnectionOptions} and the endpoints' options. */
export const SERVICE_PROTOCOL_DEFAULTS = Object.freeze({
  requestTimeoutMs: 5_000,
  handshakeTimeoutMs: 5_000,
  maxFrameBytes: 1024 * 1024,
  maxPendingRequests: 1_024,
  maxConcurrentHandlers: 64,
});

/** Answers one request with a message; throwing (a `DistributedError` keeps its code) sends an ERROR frame. */
export type ServiceRequestHandler = (
  request: ServiceMessage,
  connection: ServiceConnection,
) => ServiceMessage | Promise<ServiceMessage>;

/** Receives one event (a one-way message: nothing is sent back). */
export type ServiceEventHandler = (event: ServiceMessage, connection: ServiceConnection) => void;

/** Options of a connection, given to `connectService` and `listenService`. */
export interface ServiceConnectionOptions {
  /** The messages and versions this side speaks. */
  readonly protocol: ServiceProtocol;
  /** Answers the peer's requests; without it every request gets an ERROR frame. */
  readonly onRequest?: ServiceRequestHandler;
  /** Receives the peer's events. */
  readonly onEvent?: ServiceEventHandler;
  /**
   * Told about a failure that concerns one message (a body that does not decode, a handler
   * that threw, a late response) and about the error that closed the connection; `connection`
   * is `undefined` for a failed handshake.
   */
  readonly onError?: (error: DistributedError, connection: ServiceConnection | undefined) => void;
  /** How long a request waits for its response. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** The largest frame sent or accepted, in bytes. @default 1 MiB */
  readonly maxFrameBytes?: number;
  /** Requests sent and not yet answered; one more is refused with `DISTRIBUTED_ERR_LIMIT`. @default 1024 */
  readonly maxPendingRequests?: number;
  /** Peer requests handled at once; past this no frame is read until one finishes. @default 64 */
  readonly maxConcurrentHandlers?: number;
}

/** Options of one {@link ServiceConnection.request}. */
export interface ServiceRequestOptions {
  /** @default the connection's `requestTimeoutMs` */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly name: string;
  readonly resolve: (message: ServiceMessage) => void;
  readonly reject: (error: DistributedError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One connection after the handshake. Made by `connectService` and `listenService`; not
 * constructed directly.
 */
export class ServiceConnection {
  /** The version both sides agreed on: everything this side writes is in it. */
  readonly version: number;
  /**
   * Settles once the connection is closed: with the error that closed it, or `undefined` after
   * a clean close by either side. Never rejects.
   */
  readonly closed: Promise<DistributedError | undefined>;
  private readonly pending = new Map<number, Pending>();
  private readonly requestTimeoutMs: number;
  private readonly maxPending: number;
  private readonly maxHandlers: number;
  private nextId = 1;
  private handling = 0;
  private slotFreed: (() => void) | undefined;
  private closing = false;

  /** @internal */
  constructor(
    private readonly framed: FramedSocket,
    version: number,
    private readonly options: ServiceConnectionOptions,
  ) {
    this.version = version;
    this.requestTimeoutMs = checkInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? SERVICE_PROTOCOL_DEFAULTS.requestTimeoutMs,
      1,
    );
    this.maxPending = checkInteger(
      'maxPendingRequests',
      options.maxPendingRequests ?? SERVICE_PROTOCOL_DEFAULTS.maxPendingRequests,
      1,
    );
    this.maxHandlers = checkInteger(
      'maxConcurrentHandlers',
      options.maxConcurrentHandlers ?? SERVICE_PROTOCOL_DEFAULTS.maxConcurrentHandlers,
      1,
    );
    // A handler that never finishes must not keep a closed connection's loop waiting for a slot.
    framed.closed.then(() => this.wakeReader());
    this.closed = this.run();
  }

  /** Requests sent and not yet answered. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /**
   * Sends a request and resolves with the peer's response (in this side's latest shape).
   * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_TIMEOUT` when no response comes in
   *   time (a late one is dropped); `DISTRIBUTED_ERR_LIMIT` past `maxPendingRequests`;
   *   `DISTRIBUTED_ERR_PAYLOAD` when the message does not fit the negotiated version or the
   *   response does not decode; `DISTRIBUTED_ERR_UNAVAILABLE` when the connection closes first;
   *   the peer's code when its handler failed.
   */
  request(
    name: string,
    value: Readonly<Record<string, unknown>>,
    options: ServiceRequestOptions = {},
  ): Promise<ServiceMessage> {
    const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? this.requestTimeoutMs, 1);
    if (this.closing) return Promise.reject(this.unavailable('the connection is closed'));
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(
        new DistributedError(
          'DISTRIBUTED_ERR_LIMIT',
          `service request "${name}": ${this.pending.size} requests are already waiting (maxPendingRequests ${this.maxPending})`,
        ),
      );
    }
    let frame: Uint8Array;
    const id = this.takeId();
    try {
      frame = encodeCall(
        'request',
        id,
        this.options.protocol.encodeBody(this.version, { name, value }),
      );
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new DistributedError(
            'DISTRIBUTED_ERR_TIMEOUT',
            `service request "${name}" (id ${id}): no response in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { name, resolve, reject, timer });
      this.framed
        .send(frame)
        .catch((cause) =>
          this.settle(id, undefined, this.unavailable('the request could not be sent', cause)),
        );
    });
  }

  /**
   * Sends a one-way event. Resolves once the socket took it (after `'drain'` when its buffer
   * was full), so awaiting each call keeps memory bounded.
   * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_PAYLOAD` when the message does not
   *   fit the negotiated version; `DISTRIBUTED_ERR_UNAVAILABLE` when the connection is closed.
   */
  async notify(name: string, value: Readonly<Record<string, unknown>>): Promise<void> {
    const body = this.options.protocol.encodeBody(this.version, { name, value });
    await this.send(encodeEvent(body));
  }

  /**
   * Closes gracefully: sends a CLOSE frame (`going-away`), ends the socket after it, and fails
   * the requests still waiting with `DISTRIBUTED_ERR_UNAVAILABLE`. Resolves once closed.
   */
  async close(): Promise<void> {
    await this.closeWith('going-away', 'closed by its owner');
    await this.closed;
  }

  /** Drops the connection at once, with no CLOSE frame. */
  destroy(): void {
    this.closing = true;
    this.framed.destroy();
  }

  private async closeWith(reason: ServiceCloseReason, detail: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.framed.send(encodeClose(reason, detail)).catch(() => {});
    await this.framed.end();
  }

  private async run(): Promise<DistributedError | undefined> {
    let failure: DistributedError | undefined;
    try {
      // read(), not for-await: leaving a for-await loop by a throw would destroy the socket
      // before the CLOSE frame below could say why.
      for (
        let frame = await this.framed.read();
        frame !== undefined;
        frame = await this.framed.read()
      ) {
        this.receive(frame);
        if (this.handling >= this.maxHandlers && !this.framed.socket.destroyed) {
          await new Promise<void>((resolve) => {
            this.slotFreed = resolve;
          });
        }
      }
    } catch (err) {
      failure = toServiceError(err);
      if (this.closing && failure.code === 'DISTRIBUTED_ERR_UNAVAILABLE' && !isPeerClose(err)) {
        failure = undefined;
      } else if (failure.code === 'DISTRIBUTED_ERR_PAYLOAD' && !this.framed.socket.destroyed) {
        // A frame that does not decode: say why before going (a frame too large for the framing
        // has already dropped the socket, since nothing after it can be trusted).
        await this.closeWith('protocol-error', failure.message);
      }
    }
    this.closing = true;
    this.framed.destroy();
    const gone = failure ?? this.unavailable('the connection closed');
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, gone);
    if (failure !== undefined) this.options.onError?.(failure, this);
    return failure;
  }

  private receive(bytes: Buffer): void {
    const frame = decodeServiceFrame(bytes);
    const { protocol } = this.options;
    switch (frame.kind) {
      case 'request':
        this.handle(frame.requestId, frame.body);
        return;
      case 'response': {
        if (!this.pending.has(frame.requestId)) {
          this.report(
            `a response to request ${frame.requestId}, which is not waiting (timed out?)`,
          );
          return;
        }
        try {
          this.settle(frame.requestId, protocol.decodeBody(frame.body, this.version));
        } catch (err) {
          this.settle(frame.requestId, undefined, toServiceError(err));
        }
        return;
      }
      case 'error': {
        const code = (DISTRIBUTED_ERROR_CODES as readonly string[]).includes(frame.code)
          ? (frame.code as DistributedErrorCode)
          : 'DISTRIBUTED_ERR_UNAVAILABLE';
        if (!this.pending.has(frame.requestId)) return;
        this.settle(
          frame.requestId,
          undefined,
          new DistributedError(
            code,
            `the peer failed request ${frame.requestId}: [${frame.code}] ${frame.message}`,
          ),
        );
        return;
      }
      case 'event': {
        let event: ServiceMessage;
        try {
          event = protocol.decodeBody(frame.body, this.version);
        } catch (err) {
          this.options.onError?.(toServiceError(err), this);
          return;
        }
        this.options.onEvent?.({ name: event.name, value: event.value }, this);
        return;
      }
      case 'close':
        this.closing = true;
        // The peer says why; the socket ends right after, which ends the loop.
        if (frame.reason !== 'going-away') {
          throw new PeerClosedError(
            'DISTRIBUTED_ERR_UNAVAILABLE',
            `service connection: the peer closed it (${frame.reason}): ${frame.detail}`,
          );
        }
        return;
      default:
        throw new DistributedError(
          'DISTRIBUTED_ERR_PAYLOAD',
          `service connection: a ${frame.kind} frame after the handshake`,
        );
    }
  }

  private handle(requestId: number, body: Buffer): void {
    this.handling++;
    const answer = async (): Promise<Uint8Array> => {
      try {
        const request = this.options.protocol.decodeBody(body, this.version);
        if (this.options.onRequest === undefined) {
          throw this.unavailable(`no handler for request "${request.name}"`);
        }
        const reply = await this.options.onRequest(
          { name: request.name, value: request.value },
          this,
        );
        return encodeCall(
          'response',
          requestId,
          this.options.protocol.encodeBody(this.version, reply),
        );
      } catch (err) {
        const error = toServiceError(err);
        this.options.onError?.(error, this);
        return encodeCallError(requestId, error.code, error.message);
      }
    };
    answer()
      .then((frame) => this.send(frame))
      .catch(() => {}) // the connection closed: its loop reports that once
      .finally(() => {
        this.handling--;
        this.wakeReader();
      });
  }

  private wakeReader(): void {
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  private send(frame: Uint8Array): Promise<void> {
    if (this.closing) return Promise.reject(this.unavailable('the connection is closed'));
    return this.framed.send(frame).catch((cause) => {
      throw this.unavailable('the frame could not be sent', cause);
    });
  }

  private settle(id: number, message?: ServiceMessage, error?: DistributedError): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error !== undefined) pending.reject(error);
    else
      pending.resolve({
        name: (message as ServiceMessage).name,
        value: (message as ServiceMessage).value,
      });
  }

  private takeId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 0xffff_ffff ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  /** A response that came after its request timed out. */
  private report(what: string): void {
    this.options.onError?.(
      new DistributedError('DISTRIBUTED_ERR_TIMEOUT', `service connection: ${what}`),
      this,
    );
  }

  private unavailable(what: string, cause?: unknown): DistributedError {
    return new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', `service connection: ${what}`, {
      cause,
    });
  }
}

/** The peer closed with a reason other than `going-away`. */
class PeerClosedError extends DistributedError {}

function isPeerClose(err: unknown): boolean {
  return err instanceof PeerClosedError;
}

/**
 * Any failure as a `DistributedError`: stage 2's frame errors (too large, malformed, truncated)
 * become `DISTRIBUTED_ERR_PAYLOAD`, socket errors `DISTRIBUTED_ERR_UNAVAILABLE`.
 */
export function toServiceError(err: unknown): DistributedError {
  if (err instanceof DistributedError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (
    code === 'TCPUDP_ERR_FRAME_TOO_LARGE' ||
    code === 'TCPUDP_ERR_MALFORMED' ||
    code === 'TCPUDP_ERR_TRUNCATED'
  ) {
    return new DistributedError('DISTRIBUTED_ERR_PAYLOAD', `service connection: ${message}`, {
      cause: err,
    });
  }
  return new DistributedError('DISTRIBUTED_ERR_UNAVAILABLE', `service connection: ${message}`, {
    cause: err,
  });
}
