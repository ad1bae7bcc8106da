/**
 * The client side of the price feed: a `Subscribe` stream as an async iterable (read it with
 * `for await`; stop reading and HTTP/2 flow control stops the server), and `GetPrice` as a
 * promise. Both take a deadline (absolute, as gRPC carries it) and an `AbortSignal`
 * (cancellation, which grpc-js sends to the server as an HTTP/2 `RST_STREAM`).
 * @see https://grpc.io/docs/guides/deadlines/
 * @see https://grpc.io/docs/guides/cancellation/
 */
import * as grpc from '@grpc/grpc-js';
import { checkInteger } from '@socketlab/internal';
import { DistributedError } from '../errors.ts';
import { type PriceUpdate, priceFeedService, type SubscribeRequest } from './descriptor.ts';
import { toGrpcStatusError } from './status.ts';

/** Options every price-feed client call shares. */
export interface GrpcPriceClientOptions {
  /** The server, `host:port` (a feed's `address`). */
  readonly address: string;
  /** The channel's credentials. @default grpc.credentials.createInsecure() */
  readonly credentials?: grpc.ChannelCredentials;
  /**
   * When the whole call must be over, as a `Date` or milliseconds since the epoch (an absolute
   * time: gRPC sends what is left of it to the server, which cancels the call there too). Past
   * it the call fails with `DISTRIBUTED_ERR_TIMEOUT` (`DEADLINE_EXCEEDED`). @default none
   */
  readonly deadline?: Date | number | undefined;
  /** Aborting it cancels the call; the call then rejects with the signal's `reason`. */
  readonly signal?: AbortSignal | undefined;
  /** The largest message accepted from the server. @default 4096 */
  readonly maxReceiveMessageBytes?: number;
  /** Further grpc-js channel options (e.g. `'grpc-node.flow_control_window'`). */
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Options of {@link connectGrpcPriceFeed}. */
export interface ConnectGrpcPriceFeedOptions extends GrpcPriceClientOptions {
  /** Symbols to subscribe to at once (more with `subscribe()` later). @default [] */
  readonly symbols?: readonly string[];
  /** How long to wait for the channel to connect, in milliseconds. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/** Options of {@link requestGrpcPrice}. */
export interface RequestGrpcPriceOptions extends GrpcPriceClientOptions {
  /** The symbol to ask for. */
  readonly symbol: string;
}

/** The defaults of the client options. */
export const GRPC_PRICE_CLIENT_DEFAULTS = Object.freeze({
  connectTimeoutMs: 5_000,
  maxReceiveMessageBytes: 4096,
});

interface PriceFeedClient extends grpc.Client {
  Subscribe(options: grpc.CallOptions): grpc.ClientDuplexStream<SubscribeRequest, PriceUpdate>;
  GetPrice(
    request: { symbol: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, value?: PriceUpdate) => void,
  ): grpc.ClientUnaryCall;
}

let clientConstructor: grpc.ServiceClientConstructor | undefined;

function makeClient(options: GrpcPriceClientOptions): PriceFeedClient {
  if (typeof options.address !== 'string' || options.address === '') {
    throw new TypeError('address must be a non-empty "host:port" string');
  }
  const maxReceive = checkInteger(
    'maxReceiveMessageBytes',
    options.maxReceiveMessageBytes ?? GRPC_PRICE_CLIENT_DEFAULTS.maxReceiveMessageBytes,
    64,
    4 * 1024 * 1024,
  );
  clientConstructor ??= grpc.makeGenericClientConstructor(priceFeedService(), 'PriceFeed');
  return new clientConstructor(
    options.address,
    options.credentials ?? grpc.credentials.createInsecure(),
    { ...options.channelOptions, 'grpc.max_receive_message_length': maxReceive },
  ) as unknown as PriceFeedClient;
}

function callOptions(options: GrpcPriceClientOptions): grpc.CallOptions {
  return options.deadline === undefined ? {} : { deadline: options.deadline };
}

/**
 * An open `Subscribe` stream: iterate it for prices (once), change what it holds with
 * `subscribe`/`unsubscribe`, end it with `cancel()` or the `signal` it was opened with.
 *
 * Reading is the flow control: prices wait in grpc-js (a few messages), then in HTTP/2's window,
 * then in the server's conflating buffer, one per symbol. Nothing grows while you do not read.
 */
export class GrpcPriceStream implements AsyncIterable<PriceUpdate> {
  readonly #call: grpc.ClientDuplexStream<SubscribeRequest, PriceUpdate>;
  readonly #client: grpc.Client;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #iterated = false;

  /** @internal Use {@link connectGrpcPriceFeed}. */
  constructor(
    client: grpc.Client,
    call: grpc.ClientDuplexStream<SubscribeRequest, PriceUpdate>,
    signal: AbortSignal | undefined,
  ) {
    this.#client = client;
    this.#call = call;
    this.#signal = signal;
    this.#onAbort = () => call.cancel();
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    // Until someone iterates, errors are kept by the stream (the iterator rethrows them).
    call.on('error', () => {});
    // grpc-js reads from HTTP/2 without pause until the first read of its stream: every message
    // that arrives before it waits in an unbounded list. One read(0) (which takes nothing) starts
    // the reading, and from then on grpc-js holds at most `readableHighWaterMark` (16) messages
    // and pauses HTTP/2, so a caller that iterates late still stalls the server, not its memory.
    call.read(0);
  }

  /** Adds symbols; the server sends each one's latest price, then every change. */
  subscribe(symbols: readonly string[]): void {
    this.#call.write({ action: 'SUBSCRIBE', symbols: [...symbols] });
  }

  /** Drops symbols; prices already on their way may still arrive. */
  unsubscribe(symbols: readonly string[]): void {
    this.#call.write({ action: 'UNSUBSCRIBE', symbols: [...symbols] });
  }

  /** Cancels the call (the server sees it cancelled and frees the stream); iteration then ends. */
  cancel(): void {
    this.#call.cancel();
  }

  /**
   * The prices, in the order the server sent them.
   * @throws {GrpcStatusError} when the call ends with a status other than OK: `code`
   *   `DISTRIBUTED_ERR_TIMEOUT` (deadline), `_LIMIT` (`RESOURCE_EXHAUSTED`), `_PAYLOAD`
   *   (`INVALID_ARGUMENT`, `NOT_FOUND`, `INTERNAL`), `_UNAVAILABLE` (server gone or closing).
   * @throws the signal's `reason` once `signal` aborts.
   * @throws {TypeError} when iterated a second time.
   */
  [Symbol.asyncIterator](): AsyncIterator<PriceUpdate> {
    if (this.#iterated) throw new TypeError('a GrpcPriceStream can be iterated once');
    this.#iterated = true;
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<PriceUpdate> {
    try {
      for await (const update of this.#call) yield update as PriceUpdate;
    } catch (error) {
      if (this.#signal?.aborted) throw this.#signal.reason;
      if (isClientCancel(error)) return; // cancel(): the caller asked for the end
      throw toGrpcStatusError(error, 'the Subscribe stream');
    } finally {
      this.#signal?.removeEventListener('abort', this.#onAbort);
      this.#call.cancel();
      this.#client.close();
    }
  }
}

function isClientCancel(error: unknown): boolean {
  return (
    (error as { code?: unknown })?.code === grpc.status.CANCELLED &&
    (error as { details?: unknown }).details === 'Cancelled on client'
  );
}

/**
 * Opens a `Subscribe` stream once the channel is connected.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when the channel did not connect within
 *   `connectTimeoutMs` (or the deadline, whichever comes first).
 * @throws the signal's `reason` when `signal` is already aborted or aborts while connecting.
 * @example
 * ```ts
 * const stream = await connectGrpcPriceFeed({
 *   address: feed.address, symbols: ['ACME'], deadline: Date.now() + 60_000, signal,
 * });
 * for await (const { symbol, price } of stream) console.log(symbol, price);
 * ```
 */
export async function connectGrpcPriceFeed(
  options: ConnectGrpcPriceFeedOptions,
): Promise<GrpcPriceStream> {
  const connectTimeoutMs = checkInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? GRPC_PRICE_CLIENT_DEFAULTS.connectTimeoutMs,
    1,
    2_147_483_647,
  );
  options.signal?.throwIfAborted();
  const client = makeClient(options);
  const until = Math.min(
    Date.now() + connectTimeoutMs,
    options.deadline === undefined ? Number.POSITIVE_INFINITY : +options.deadline,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      client.waitForReady(until, (error) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (!error) resolve();
        else
          reject(
            new DistributedError(
              'DISTRIBUTED_ERR_UNAVAILABLE',
              `no gRPC connection to ${options.address} within ${connectTimeoutMs} ms or before the deadline: is the feed running there?`,
              { cause: error },
            ),
          );
      });
    });
  } catch (error) {
    client.close();
    throw error;
  }
  const call = client.Subscribe(callOptions(options));
  const stream = new GrpcPriceStream(client, call, options.signal);
  if (options.symbols && options.symbols.length > 0) stream.subscribe(options.symbols);
  return stream;
}

/**
 * Asks for one symbol's latest price (`GetPrice`, unary); the server waits for a first price
 * until the deadline.
 * @throws {GrpcStatusError} `DISTRIBUTED_ERR_TIMEOUT` past the deadline, `_PAYLOAD` for a
 *   malformed (`INVALID_ARGUMENT`) or unknown (`NOT_FOUND`) symbol, `_UNAVAILABLE` when no server
 *   answers.
 * @throws the signal's `reason` once `signal` aborts.
 * @example
 * ```ts
 * const { price } = await requestGrpcPrice({ address: feed.address, symbol: 'ACME', deadline: Date.now() + 500 });
 * ```
 */
export async function requestGrpcPrice(options: RequestGrpcPriceOptions): Promise<PriceUpdate> {
  options.signal?.throwIfAborted();
  const client = makeClient(options);
  try {
    return await new Promise<PriceUpdate>((resolve, reject) => {
      const call = client.GetPrice(
        { symbol: options.symbol },
        callOptions(options),
        (error, value) => {
          options.signal?.removeEventListener('abort', onAbort);
          if (options.signal?.aborted) reject(options.signal.reason);
          else if (error) reject(toGrpcStatusError(error, 'GetPrice'));
          else resolve(value as PriceUpdate);
        },
      );
      const onAbort = () => call.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    client.close();
  }
}
