/**
 * The two ends of the service protocol over TCP: `listenService` accepts connections and answers
 * each HELLO with the highest version both sides speak, `connectService` sends the HELLO. With no
 * common version the server sends a CLOSE frame saying why and ends the connection, and both
 * sides get a {@link ServiceVersionError}.
 */
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { FramedSocket, lengthPrefixCodec } from '@socketlab/tcp-udp';
import { DistributedError } from '../errors.ts';
import {
  SERVICE_PROTOCOL_DEFAULTS,
  ServiceConnection,
  type ServiceConnectionOptions,
  toServiceError,
} from './connection.ts';
import {
  decodeServiceFrame,
  encodeClose,
  encodeHello,
  encodeWelcome,
  type ServiceFrame,
} from './wire.ts';

/** The version ranges of two sides that share no version. Code `DISTRIBUTED_ERR_PAYLOAD`. */
export class ServiceVersionError extends DistributedError {
  override name = 'ServiceVersionError';
  constructor(
    /** This side's range. */
    readonly ours: { readonly min: number; readonly max: number },
    /** The peer's range, when it said (a server's CLOSE frame only says it in words). */
    readonly theirs: { readonly min: number; readonly max: number } | undefined,
    detail: string,
  ) {
    super('DISTRIBUTED_ERR_PAYLOAD', `service handshake: no common version: ${detail}`);
  }
}

/** Options of {@link connectService}. */
export interface ConnectServiceOptions extends ServiceConnectionOptions {
  /** The service's host, e.g. `'127.0.0.1'`. */
  readonly host: string;
  /** The service's TCP port. */
  readonly port: number;
  /** How long to wait for the connection and the server's WELCOME. @default 5000 */
  readonly handshakeTimeoutMs?: number;
}

/** Options of {@link listenService}. */
export interface ListenServiceOptions extends ServiceConnectionOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** How long a new connection has to send its HELLO. @default 5000 */
  readonly handshakeTimeoutMs?: number;
  /** Told about each connection after its handshake. */
  readonly onConnection?: (connection: ServiceConnection) => void;
}

/** A listening service, made by {@link listenService}. */
export interface ServiceServer {
  /** The bound address and port. */
  readonly address: net.AddressInfo;
  /** Connections past their handshake and not yet closed. */
  readonly connections: ReadonlySet<ServiceConnection>;
  /** Stops accepting, closes every connection (CLOSE `going-away`), resolves once all are closed. */
  close(): Promise<void>;
}

/**
 * Connects to a service, negotiates the version and returns the connection.
 * @throws {ServiceVersionError} (rejects) when the server speaks no version in our range.
 * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_UNAVAILABLE` when the connection fails;
 *   `DISTRIBUTED_ERR_TIMEOUT` when the handshake takes longer than `handshakeTimeoutMs`;
 *   `DISTRIBUTED_ERR_PAYLOAD` when the server answers something other than WELCOME or CLOSE.
 * @example
 * ```ts
 * const client = await connectService({ host: '127.0.0.1', port, protocol });
 * const reply = await client.request('getUser', { userId: 7 });
 * ```
 */
export async function connectService(options: ConnectServiceOptions): Promise<ServiceConnection> {
  const timeoutMs = checkInteger(
    'handshakeTimeoutMs',
    options.handshakeTimeoutMs ?? SERVICE_PROTOCOL_DEFAULTS.handshakeTimeoutMs,
    1,
  );
  const { protocol } = options;
  const socket = net.connect({ host: options.host, port: options.port, allowHalfOpen: true });
  const framed = new FramedSocket(socket, { codec: codecOf(options) });
  const ours = { min: protocol.minVersion, max: protocol.maxVersion };
  try {
    await framed.send(encodeHello(ours.min, ours.max));
    const frame = await firstFrame(framed, timeoutMs, 'the WELCOME');
    if (frame.kind === 'welcome' && protocol.supports(frame.version)) {
      return new ServiceConnection(framed, frame.version, options);
    }
    if (frame.kind === 'close' && frame.reason === 'no-common-version') {
      throw new ServiceVersionError(ours, undefined, frame.detail);
    }
    throw new DistributedError(
      'DISTRIBUTED_ERR_PAYLOAD',
      frame.kind === 'welcome'
        ? `service handshake: the server chose version ${frame.version}, which we do not speak (${ours.min}–${ours.max})`
        : `service handshake: expected WELCOME, got ${frame.kind}`,
    );
  } catch (err) {
    framed.destroy();
    throw toServiceError(err);
  }
}

/**
 * Listens for service connections. Each connection's first frame must be a HELLO; the server
 * answers with the highest version in both ranges, or with a CLOSE (`no-common-version`) and an
 * end. A connection that breaks the protocol is closed, and only that one.
 * @throws {DistributedError} (rejects) `DISTRIBUTED_ERR_UNAVAILABLE` when the port cannot be bound.
 * @example
 * ```ts
 * const server = await listenService({
 *   protocol,
 *   onRequest: ({ value }) => ({ name: 'user', value: { userId: value.userId, name: 'ada' } }),
 * });
 * ```
 */
export async function listenService(options: ListenServiceOptions): Promise<ServiceServer> {
  const timeoutMs = checkInteger(
    'handshakeTimeoutMs',
    options.handshakeTimeoutMs ?? SERVICE_PROTOCOL_DEFAULTS.handshakeTimeoutMs,
    1,
  );
  const codec = codecOf(options);
  const { protocol } = options;
  const connections = new Set<ServiceConnection>();
  const handshaking = new Set<FramedSocket>();

  const accept = async (framed: FramedSocket): Promise<void> => {
    handshaking.add(framed);
    try {
      const hello = await firstFrame(framed, timeoutMs, 'the HELLO');
      if (hello.kind !== 'hello') {
        throw new DistributedError(
          'DISTRIBUTED_ERR_PAYLOAD',
          `service handshake: expected HELLO, got ${hello.kind}`,
        );
      }
      const version = Math.min(protocol.maxVersion, hello.maxVersion);
      const low = Math.max(protocol.minVersion, hello.minVersion);
      let chosen = version;
      while (chosen >= low && !protocol.supports(chosen)) chosen--;
      if (chosen < low) {
        const detail = `the server speaks ${protocol.minVersion}–${protocol.maxVersion}, the client ${hello.minVersion}–${hello.maxVersion}`;
        await framed.send(encodeClose('no-common-version', detail)).catch(() => {});
        await framed.end();
        framed.destroy();
        throw new ServiceVersionError(
          { min: protocol.minVersion, max: protocol.maxVersion },
          { min: hello.minVersion, max: hello.maxVersion },
          detail,
        );
      }
      await framed.send(encodeWelcome(chosen));
      const connection = new ServiceConnection(framed, chosen, options);
      connections.add(connection);
      connection.closed.then(() => connections.delete(connection));
      options.onConnection?.(connection);
    } catch (err) {
      framed.destroy();
      const error = toServiceError(err);
      options.onError?.(error, undefined);
    } finally {
      handshaking.delete(framed);
    }
  };

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    void accept(new FramedSocket(socket, { codec }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new DistributedError(
          'DISTRIBUTED_ERR_UNAVAILABLE',
          `listenService: cannot listen: ${cause.message}`,
          {
            cause,
          },
        ),
      ),
    );
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    address: server.address() as net.AddressInfo,
    connections,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const framed of handshaking) framed.destroy();
      await Promise.all([...connections].map((connection) => connection.close()));
      await stopped;
    },
  };
}

function codecOf(options: ServiceConnectionOptions) {
  return lengthPrefixCodec({
    maxFrameBytes: options.maxFrameBytes ?? SERVICE_PROTOCOL_DEFAULTS.maxFrameBytes,
  });
}

/** The first frame of a connection, within the handshake timeout. */
async function firstFrame(
  framed: FramedSocket,
  timeoutMs: number,
  what: string,
): Promise<ServiceFrame> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DistributedError(
            'DISTRIBUTED_ERR_TIMEOUT',
            `service handshake: no ${what} in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const bytes = await Promise.race([framed.read(), timeout]);
    if (bytes === undefined) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_UNAVAILABLE',
        `service handshake: the peer ended before ${what}`,
      );
    }
    return decodeServiceFrame(bytes);
  } finally {
    clearTimeout(timer);
  }
}
