/**
 * A gRPC price feed on grpc-js: a bidirectional `Subscribe` stream (subscribe and unsubscribe
 * whenever you like, prices streamed back) and a unary `GetPrice`, both honouring deadlines and
 * cancellation, and a stream that never buffers without bound: while `write()` says the call is
 * full, prices wait in a conflating buffer (the latest per symbol) until `'drain'`.
 * @see https://grpc.io/docs/what-is-grpc/core-concepts/#bidirectional-streaming-rpc
 * @see https://grpc.io/docs/guides/flow-control/
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { checkInteger } from '@socketlab/internal';
import { ConflatingBuffer } from '../streaming/index.ts';
import {
  PRICE_SYMBOL_PATTERN,
  type PriceUpdate,
  priceFeedService,
  type SubscribeRequest,
} from './descriptor.ts';
import {
  GRPC_PRICE_FEED_DEFAULTS,
  type GrpcPriceFeedEvents,
  type GrpcPriceFeedOptions,
  type GrpcPriceFeedStats,
  type GrpcRejection,
  type GrpcStreamCloseReason,
  type GrpcStreamStats,
} from './server-options.ts';

type DuplexCall = grpc.ServerDuplexStream<SubscribeRequest, PriceUpdate>;

interface StreamState {
  readonly id: number;
  readonly call: DuplexCall;
  readonly symbols: Set<string>;
  readonly pending: ConflatingBuffer<string, PriceUpdate>;
  sent: number;
  blocked: boolean;
  open: boolean;
}

type Settings = Required<Omit<GrpcPriceFeedOptions, 'credentials' | 'clock' | 'symbols'>>;

class Refusal extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

/**
 * A running price feed: publish prices into it, watch its streams, close it. Made by
 * {@link serveGrpcPriceFeed}.
 */
export class GrpcPriceFeed extends EventEmitter<GrpcPriceFeedEvents> {
  /** The port it listens on. */
  readonly port: number;
  /** `host:port`, what a client passes as `address`. */
  readonly address: string;
  readonly #server: grpc.Server;
  readonly #known: ReadonlySet<string>;
  readonly #options: Settings;
  readonly #clock: { now(): number };
  readonly #latest = new Map<string, PriceUpdate>();
  readonly #streams = new Map<number, StreamState>();
  /** symbol → the streams holding it: publish touches only those. */
  readonly #bySymbol = new Map<string, Set<StreamState>>();
  /** symbol → the `GetPrice` calls waiting for its first price. */
  readonly #waiting = new Map<string, Set<(update: PriceUpdate | undefined) => void>>();
  #pendingUnary = 0;
  #nextId = 1;
  #sequence = 0;
  #published = 0;
  #rejected = 0;
  #closing = false;

  /** @internal Use {@link serveGrpcPriceFeed}. */
  constructor(
    server: grpc.Server,
    port: number,
    host: string,
    known: ReadonlySet<string>,
    options: Settings,
    clock: { now(): number },
  ) {
    super();
    this.#server = server;
    this.port = port;
    this.address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.#known = known;
    this.#options = options;
    this.#clock = clock;
  }

  /**
   * Publishes a price: every stream holding `symbol` gets it (conflated while that stream is
   * full), and `GetPrice` calls waiting for it are answered.
   * @returns how many streams it reached.
   * @throws {RangeError} for a symbol the feed does not know, or a price that is not finite.
   */
  publish(symbol: string, price: number): number {
    if (!this.#known.has(symbol)) throw new RangeError(`unknown symbol ${JSON.stringify(symbol)}`);
    if (!Number.isFinite(price)) throw new RangeError(`price must be finite, got ${price}`);
    this.#sequence = (this.#sequence + 1) >>> 0;
    this.#published++;
    const update: PriceUpdate = {
      symbol,
      price,
      sequence: this.#sequence,
      timestamp: this.#clock.now(),
    };
    this.#latest.set(symbol, update);
    const waiters = this.#waiting.get(symbol);
    if (waiters) {
      this.#waiting.delete(symbol);
      for (const answer of waiters) answer(update);
    }
    const holders = this.#bySymbol.get(symbol);
    if (!holders) return 0;
    for (const stream of holders) {
      stream.pending.offer(symbol, update);
      this.#pump(stream);
    }
    return holders.size;
  }

  /** The counters now. */
  stats(): GrpcPriceFeedStats {
    let subscriptions = 0;
    for (const stream of this.#streams.values()) subscriptions += stream.symbols.size;
    return {
      activeStreams: this.#streams.size,
      subscriptions,
      pendingUnary: this.#pendingUnary,
      published: this.#published,
      rejected: this.#rejected,
    };
  }

  /** One row per open `Subscribe` stream. */
  streams(): GrpcStreamStats[] {
    return [...this.#streams.values()].map((s) => ({
      id: s.id,
      symbols: [...s.symbols],
      sent: s.sent,
      conflated: s.pending.stats.conflated,
      buffered: s.call.writableLength + s.pending.size,
      writableHighWaterMark: s.call.writableHighWaterMark,
      blocked: s.blocked,
    }));
  }

  /**
   * Ends every stream with `UNAVAILABLE`, refuses waiting `GetPrice` calls the same way, and
   * stops the server; calls still open after `closeTimeoutMs` (a client that stopped reading) are
   * cut.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const stream of [...this.#streams.values()]) {
      this.#release(stream, 'server-closed');
      stream.call.emit('error', {
        code: grpc.status.UNAVAILABLE,
        details: 'the price feed is shutting down: reconnect to another instance',
      });
    }
    for (const waiters of this.#waiting.values()) for (const answer of waiters) answer(undefined);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, this.#options.closeTimeoutMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** @internal The `Subscribe` handler. */
  subscribe(call: DuplexCall): void {
    if (this.#closing || this.#streams.size >= this.#options.maxStreams) {
      this.#refuse(
        'Subscribe',
        call,
        new Refusal(
          this.#closing ? grpc.status.UNAVAILABLE : grpc.status.RESOURCE_EXHAUSTED,
          this.#closing
            ? 'the price feed is shutting down'
            : `the feed serves at most ${this.#options.maxStreams} streams at once: try again later`,
        ),
      );
      return;
    }
    const stream: StreamState = {
      id: this.#nextId++,
      call,
      symbols: new Set(),
      pending: new ConflatingBuffer({ maxKeys: this.#options.maxSymbolsPerStream }),
      sent: 0,
      blocked: false,
      open: true,
    };
    this.#streams.set(stream.id, stream);
    call.on('data', (request: SubscribeRequest) => {
      if (!stream.open) return;
      try {
        this.#apply(stream, request);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        this.#release(stream, 'rejected');
        this.#refuse('Subscribe', call, error);
      }
    });
    call.on('drain', () => {
      stream.blocked = false;
      this.#pump(stream);
    });
    // grpc-js emits 'cancelled' for a client's cancel, a passed deadline and a lost connection;
    // a status grpc-js sent itself (a message too large, one it could not decode) ends in 'close'.
    const gone = () => this.#release(stream, 'cancelled');
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', () => {}); // the status we emit on it is all there is to an 'error' here
    this.emit('streamOpened', stream.id);
  }

  /** @internal The `GetPrice` handler. */
  getPrice(
    call: grpc.ServerUnaryCall<{ symbol: string }, PriceUpdate>,
    callback: grpc.sendUnaryData<PriceUpdate>,
  ): void {
    try {
      const symbol = this.#checkSymbol(call.request.symbol);
      if (this.#closing)
        throw new Refusal(grpc.status.UNAVAILABLE, 'the price feed is shutting down');
      const latest = this.#latest.get(symbol);
      if (latest) {
        callback(null, latest);
        this.emit('unaryDone', 'answered');
        return;
      }
      this.#waitForPrice(call, symbol, callback);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.#countRefusal('GetPrice', error);
      callback({ code: error.code, details: error.details });
      this.emit('unaryDone', 'rejected');
    }
  }

  #waitForPrice(
    call: grpc.ServerUnaryCall<{ symbol: string }, PriceUpdate>,
    symbol: string,
    callback: grpc.sendUnaryData<PriceUpdate>,
  ): void {
    const waiters = this.#waiting.get(symbol) ?? new Set();
    this.#waiting.set(symbol, waiters);
    this.#pendingUnary++;
    const finish = (
      outcome: 'answered' | 'timed-out' | 'cancelled' | 'rejected',
      update?: PriceUpdate,
    ) => {
      waiters.delete(answer);
      if (waiters.size === 0 && this.#waiting.get(symbol) === waiters) this.#waiting.delete(symbol);
      clearTimeout(timer);
      call.off('cancelled', onCancelled);
      this.#pendingUnary--;
      if (outcome === 'answered' && update) callback(null, update);
      else if (outcome === 'timed-out')
        callback({
          code: grpc.status.DEADLINE_EXCEEDED,
          details: `no price for ${symbol} within the server's ${this.#options.maxUnaryWaitTimeoutMs} ms`,
        });
      else if (outcome === 'rejected')
        callback({ code: grpc.status.UNAVAILABLE, details: 'the price feed is shutting down' });
      this.emit('unaryDone', outcome);
    };
    const answer = (update: PriceUpdate | undefined) =>
      finish(update ? 'answered' : 'rejected', update);
    const onCancelled = () => finish('cancelled');
    const timer = setTimeout(() => finish('timed-out'), this.#options.maxUnaryWaitTimeoutMs);
    waiters.add(answer);
    call.on('cancelled', onCancelled);
  }

  #apply(stream: StreamState, request: SubscribeRequest): void {
    const { action, symbols } = request;
    if (action !== 'SUBSCRIBE' && action !== 'UNSUBSCRIBE') {
      throw new Refusal(
        grpc.status.INVALID_ARGUMENT,
        `action must be SUBSCRIBE or UNSUBSCRIBE, got ${String(action)}`,
      );
    }
    if (!Array.isArray(symbols) || symbols.length === 0) {
      throw new Refusal(grpc.status.INVALID_ARGUMENT, 'symbols must name at least one symbol');
    }
    const checked = symbols.map((symbol) => this.#checkSymbol(symbol));
    if (action === 'UNSUBSCRIBE') {
      for (const symbol of checked) {
        stream.symbols.delete(symbol);
        this.#bySymbol.get(symbol)?.delete(stream);
      }
      return;
    }
    const fresh = checked.filter((symbol) => !stream.symbols.has(symbol));
    const after = new Set([...stream.symbols, ...fresh]).size;
    if (after > this.#options.maxSymbolsPerStream) {
      throw new Refusal(
        grpc.status.RESOURCE_EXHAUSTED,
        `a stream holds at most ${this.#options.maxSymbolsPerStream} symbols, this request would make it ${after}`,
      );
    }
    for (const symbol of fresh) {
      stream.symbols.add(symbol);
      const holders = this.#bySymbol.get(symbol) ?? new Set();
      this.#bySymbol.set(symbol, holders);
      holders.add(stream);
      const latest = this.#latest.get(symbol);
      if (latest) stream.pending.offer(symbol, latest); // a new subscriber starts from the latest price
    }
    this.#pump(stream);
  }

  #checkSymbol(symbol: unknown): string {
    if (typeof symbol !== 'string' || !PRICE_SYMBOL_PATTERN.test(symbol)) {
      throw new Refusal(
        grpc.status.INVALID_ARGUMENT,
        `a symbol is 1 to 16 of A-Z, 0-9, '.', '-', starting with a letter; got ${JSON.stringify(String(symbol).slice(0, 40))}`,
      );
    }
    if (!this.#known.has(symbol)) {
      throw new Refusal(grpc.status.NOT_FOUND, `this feed has no symbol ${symbol}`);
    }
    return symbol;
  }

  /** Moves pending prices into the call while `write()` says there is room. */
  #pump(stream: StreamState): void {
    while (stream.open && !stream.blocked) {
      const [next] = stream.pending.take(1);
      if (!next) return;
      stream.sent++;
      if (!stream.call.write(next[1])) stream.blocked = true; // wait for 'drain'
    }
  }

  #release(stream: StreamState, reason: GrpcStreamCloseReason): void {
    if (!stream.open) return;
    stream.open = false;
    for (const symbol of stream.symbols) {
      const holders = this.#bySymbol.get(symbol);
      holders?.delete(stream);
      if (holders?.size === 0) this.#bySymbol.delete(symbol);
    }
    stream.symbols.clear();
    stream.pending.take();
    this.#streams.delete(stream.id);
    this.emit('streamClosed', stream.id, reason);
  }

  #refuse(method: 'Subscribe', call: DuplexCall, refusal: Refusal): void {
    this.#countRefusal(method, refusal);
    call.on('error', () => {});
    call.emit('error', { code: refusal.code, details: refusal.details });
  }

  #countRefusal(method: GrpcRejection['method'], refusal: Refusal): void {
    this.#rejected++;
    this.emit('rejected', { method, code: refusal.code, details: refusal.details });
  }
}

/**
 * Starts a price feed on grpc-js and resolves once it is bound (`bindAsync`) and serving.
 * @throws {TypeError|RangeError} synchronously-checked options: an empty or malformed `symbols`
 *   list, a limit out of range.
 * @throws {DistributedError} never: a failed bind rejects with grpc-js's error (e.g. address in use).
 * @example
 * ```ts
 * const feed = await serveGrpcPriceFeed({ symbols: ['ACME', 'GLOBEX'] });
 * feed.publish('ACME', 101.25);
 * const stream = await connectGrpcPriceFeed({ address: feed.address, symbols: ['ACME'] });
 * for await (const update of stream) console.log(update.symbol, update.price);
 * ```
 */
export async function serveGrpcPriceFeed(options: GrpcPriceFeedOptions): Promise<GrpcPriceFeed> {
  const symbols = options.symbols;
  if (!Array.isArray(symbols) || symbols.length === 0) {
    throw new TypeError('symbols must be a non-empty array of symbols');
  }
  for (const symbol of symbols) {
    if (typeof symbol !== 'string' || !PRICE_SYMBOL_PATTERN.test(symbol)) {
      throw new TypeError(
        `symbols must match ${PRICE_SYMBOL_PATTERN}, got ${JSON.stringify(symbol)}`,
      );
    }
  }
  const d = GRPC_PRICE_FEED_DEFAULTS;
  const settings = {
    host: options.host ?? d.host,
    port: checkInteger('port', options.port ?? d.port, 0, 65_535),
    maxReceiveMessageBytes: checkInteger(
      'maxReceiveMessageBytes',
      options.maxReceiveMessageBytes ?? d.maxReceiveMessageBytes,
      64,
      4 * 1024 * 1024,
    ),
    maxSymbolsPerStream: checkInteger(
      'maxSymbolsPerStream',
      options.maxSymbolsPerStream ?? d.maxSymbolsPerStream,
      1,
      10_000,
    ),
    maxStreams: checkInteger('maxStreams', options.maxStreams ?? d.maxStreams, 1),
    maxUnaryWaitTimeoutMs: checkInteger(
      'maxUnaryWaitTimeoutMs',
      options.maxUnaryWaitTimeoutMs ?? d.maxUnaryWaitTimeoutMs,
      1,
      2_147_483_647,
    ),
    closeTimeoutMs: checkInteger(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? d.closeTimeoutMs,
      0,
      2_147_483_647,
    ),
  };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': settings.maxReceiveMessageBytes,
  });
  let feed: GrpcPriceFeed | undefined; // set once bound; the port is unknown to clients before
  const notYet = { code: grpc.status.UNAVAILABLE, details: 'the price feed is starting' };
  server.addService(priceFeedService(), {
    Subscribe: (call: DuplexCall) => (feed ? feed.subscribe(call) : call.emit('error', notYet)),
    GetPrice: (
      call: grpc.ServerUnaryCall<{ symbol: string }, PriceUpdate>,
      callback: grpc.sendUnaryData<PriceUpdate>,
    ) => (feed ? feed.getPrice(call, callback) : callback(notYet)),
  });
  const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
  const host = settings.host;
  const target = `${host.includes(':') ? `[${host}]` : host}:${settings.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(target, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  feed = new GrpcPriceFeed(server, port, host, new Set(symbols), settings, options.clock ?? Date);
  return feed;
}
