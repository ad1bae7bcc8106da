/**
 * A client of the concurrency protocol: many requests in flight on one connection, each answer
 * matched to its request by id, whatever order they come back in.
 */
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import {
  connectFramed,
  decodeLineText,
  encodeLineText,
  type FramedSocket,
  lineCodec,
} from '@socketlab/tcp-udp';
import { MultiplexingError } from '../errors.ts';
import {
  type ConcurrencyRequest,
  formatConcurrencyRequest,
  parseConcurrencyResponse,
} from './protocol.ts';

/** A request without its id (the client numbers them). */
export type ConcurrencyCall =
  | { readonly kind: 'io'; readonly ms: number }
  | { readonly kind: 'cpu'; readonly rounds: number; readonly seed: string };

/** A successful answer: who computed it, and what. */
export interface ConcurrencyAnswer {
  readonly pid: number;
  readonly result: string;
}

/** Options of {@link connectConcurrencyClient}. */
export interface ConcurrencyClientOptions {
  /** The server's address. @default '127.0.0.1' */
  readonly host?: string;
  /** The server's port. */
  readonly port: number;
  /** How long the connection may take. @default 10000 */
  readonly connectTimeoutMs?: number;
}

/** A connected client; see {@link connectConcurrencyClient}. */
export interface ConcurrencyClient {
  /**
   * Sends one request and resolves with its answer.
   * @throws {MultiplexingError} (rejects) with the code the server answered (`…_PROTOCOL`,
   *   `…_LIMIT_EXCEEDED`, `…_SHUTDOWN`, …), or `MULTIPLEXING_ERR_CLOSED` when the connection
   *   closes first.
   */
  request(call: ConcurrencyCall): Promise<ConcurrencyAnswer>;
  /** Requests sent and not answered yet. */
  readonly pending: number;
  /** Ends the connection gracefully (answers still on their way are read first). */
  close(): Promise<void>;
}

/**
 * Connects to a concurrency server.
 * @throws {ConnectionError} (rejects) `TCPUDP_ERR_CONNECTION` / `TCPUDP_ERR_TIMEOUT` when it
 *   cannot connect; {RangeError} (synchronously) for a bad port.
 * @example
 * ```ts
 * const client = await connectConcurrencyClient({ port });
 * const [slow, fast] = await Promise.all([
 *   client.request({ kind: 'cpu', rounds: 200_000, seed: 'x' }),
 *   client.request({ kind: 'io', ms: 1 }),
 * ]);
 * ```
 */
export async function connectConcurrencyClient(
  options: ConcurrencyClientOptions,
): Promise<ConcurrencyClient> {
  const port = checkInteger('port', options?.port, 1, 65_535);
  const connectTimeoutMs = checkInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? 10_000,
    1,
    TIMER_MAX_MS,
  );
  const framed: FramedSocket = await connectFramed(
    { host: options.host ?? '127.0.0.1', port },
    { codec: lineCodec({ maxFrameBytes: 2 * 1_024 }), connectTimeoutMs },
  );
  framed.socket.setNoDelay(true);
  const waiting = new Map<
    string,
    { resolve: (a: ConcurrencyAnswer) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let failure: Error | undefined;

  void (async () => {
    try {
      for await (const frame of framed) {
        const response = parseConcurrencyResponse(decodeLineText(frame));
        const waiter = waiting.get(response.id);
        if (waiter === undefined) continue;
        waiting.delete(response.id);
        if (response.ok) waiter.resolve({ pid: response.pid, result: response.result });
        else waiter.reject(new MultiplexingError(response.code, response.message));
      }
      // The server ended its side (it is closing): nothing more will be answered, so end ours.
      void framed.end();
    } catch (error) {
      failure = error as Error;
      framed.destroy();
    }
    const closed = new MultiplexingError(
      'MULTIPLEXING_ERR_CLOSED',
      'the connection closed before the answer',
      { cause: failure },
    );
    for (const waiter of waiting.values()) waiter.reject(closed);
    waiting.clear();
  })();

  return {
    get pending() {
      return waiting.size;
    },
    request(call) {
      const id = String(nextId++);
      let line: string;
      try {
        line = formatConcurrencyRequest({ id, ...call } as ConcurrencyRequest);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        framed.send(encodeLineText(line)).catch((error: Error) => {
          waiting.delete(id);
          reject(
            new MultiplexingError('MULTIPLEXING_ERR_CLOSED', 'the connection is closed', {
              cause: error,
            }),
          );
        });
      });
    },
    async close() {
      await framed.end();
      await framed.closed;
    },
  };
}
