/**
 * A TCP echo server written as a reactor: one loop, one handler for the listening socket (accept
 * what waits) and one per connection (read a chunk, write it back; stop reading while the write
 * buffer is full; half-close after the peer's FIN). Everything else — waiting, fairness, timers —
 * is the reactor's.
 */
import net from 'node:net';
import { listenServer } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import { toTcpError } from '@socketlab/tcp-udp';
import { Reactor, type ReactorOptions } from './reactor.ts';
import { DEFAULT_MAX_READ_BYTES, SocketDemultiplexer } from './socket-demultiplexer.ts';
import type { ReactorHandle, ReactorHandler } from './types.ts';

/** Options of {@link listenReactorEcho}. */
export interface ReactorEchoOptions extends ReactorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (the kernel picks a free port; read it from `address`) */
  readonly port?: number;
  /** The most bytes one read takes, 1 to 16 MiB. @default 65536 */
  readonly maxReadBytes?: number;
}

/** What {@link ReactorEchoServer.stats} counts. */
export interface ReactorEchoStats {
  /** Connections accepted. */
  accepted: number;
  /** Reads that returned bytes. */
  reads: number;
  /** Bytes echoed (queued for writing). */
  bytes: number;
  /** Times a connection stopped reading until its write buffer drained. */
  backpressured: number;
}

/** A running reactor echo server. */
export interface ReactorEchoServer {
  readonly address: net.AddressInfo;
  readonly reactor: Reactor;
  readonly demultiplexer: SocketDemultiplexer;
  readonly stats: Readonly<ReactorEchoStats>;
  /** Connection and accept failures seen (reset by the peer, …), the last 100, as typed errors. */
  readonly errors: readonly Error[];
  /** Settles when the loop ends: the turns it ran, or what a handler threw. */
  readonly done: Promise<number>;
  /** Stops listening, destroys every connection and ends the loop. */
  close(): Promise<void>;
}

/**
 * Starts an echo server whose every byte goes through a {@link Reactor} over a
 * {@link SocketDemultiplexer}, and runs its loop.
 * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when it cannot listen.
 * @throws {TypeError}/{RangeError} (synchronously) for a bad option.
 * @example
 * ```ts
 * const echo = await listenReactorEcho();
 * // nc 127.0.0.1 <echo.address.port>
 * await echo.close();
 * ```
 */
export function listenReactorEcho(options: ReactorEchoOptions = {}): Promise<ReactorEchoServer> {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new TypeError('host must be a non-empty string');
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const maxReadBytes = checkInteger(
    'maxReadBytes',
    options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES,
    1,
    16 * 1024 * 1024,
  );
  const demux = new SocketDemultiplexer();
  const reactor = new Reactor(demux, options);
  return start(demux, reactor, { host, port, maxReadBytes });
}

async function start(
  demux: SocketDemultiplexer,
  reactor: Reactor,
  settings: { host: string; port: number; maxReadBytes: number },
): Promise<ReactorEchoServer> {
  const { host, port, maxReadBytes } = settings;
  const stats: ReactorEchoStats = { accepted: 0, reads: 0, bytes: 0, backpressured: 0 };
  const errors: Error[] = [];
  const server = net.createServer({ allowHalfOpen: true });
  const listening = demux.addServer(server);
  let address: net.AddressInfo;
  try {
    address = await listenServer(server, { host, port });
  } catch (error) {
    demux.close();
    reactor.close();
    throw toTcpError(error, { operation: 'listen', peer: `${host}:${port}` });
  }

  const record = (error: unknown): void => {
    errors.push(error instanceof Error ? error : new Error(String(error)));
    if (errors.length > 100) errors.shift();
  };
  // After listen(): a failed accept (EMFILE, …) is reported here; the server goes on.
  server.on('error', (error) => {
    record(toTcpError(error, { operation: 'listen', peer: `${host}:${address.port}` }));
  });
  const drop = (handle: ReactorHandle, error?: unknown): void => {
    if (error !== undefined) record(error);
    // Destroy first: deregistering a closed socket makes the demultiplexer forget it.
    demux.destroy(handle);
    reactor.deregister(handle);
  };

  const connection: ReactorHandler = {
    onReadable(handle) {
      try {
        const chunk = demux.read(handle, maxReadBytes);
        if (chunk === null) return false; // nothing buffered: wait for the next event
        if (chunk.length === 0) {
          // The peer's FIN: everything it sent is echoed (queued), so send ours after it.
          reactor.deregister(handle);
          demux.end(handle);
          return false;
        }
        stats.reads++;
        stats.bytes += chunk.length;
        if (demux.write(handle, chunk)) return true; // maybe more to read: the budget decides
      } catch (error) {
        drop(handle, error); // reset by the peer, or the socket failed while we wrote
        return false;
      }
      // The write buffer is full: stop reading until it drains (TCP backpressure to the peer).
      stats.backpressured++;
      reactor.setInterest(handle, ['writable']);
      return false;
    },
    onWritable(handle) {
      reactor.setInterest(handle, ['readable']);
      return false;
    },
  };

  reactor.register(listening, ['readable'], {
    onReadable(handle) {
      const accepted = demux.accept(handle);
      if (accepted === null) return false;
      stats.accepted++;
      reactor.register(accepted, ['readable'], connection);
      return true;
    },
  });

  const done = reactor.run();
  // A loop that failed has nothing left to serve with: stop listening and free every socket.
  done.catch(() => {
    reactor.close();
    demux.close();
  });
  return {
    address,
    reactor,
    demultiplexer: demux,
    stats,
    errors,
    done,
    async close() {
      reactor.close();
      demux.close();
      await done.catch(() => {});
    },
  };
}
