/**
 * A {@link Demultiplexer} fed by real Node sockets. Node already runs epoll (through libuv) and
 * hides it; this adapter turns its events back into readiness. Each socket is put in paused mode
 * (a `'readable'` listener, never `'data'`): bytes wait in the socket's buffer until a handler
 * calls {@link SocketDemultiplexer.read}, as they wait in the kernel until `read(2)`. A listening
 * server becomes a handle too: readable when a connection waits for {@link accept}.
 *
 * Readiness is level-triggered and computed at each wait from the socket's state: readable while
 * bytes are buffered, after `'readable'` until a read finds nothing, and at the end or an error;
 * writable while the socket's write buffer is under its high-water mark (no `'drain'` awaited).
 */
import type net from 'node:net';
import { toTcpError } from '@socketlab/tcp-udp';
import { MultiplexingError } from '../errors.ts';
import type { Demultiplexer, ReactorHandle, Readiness, ReadyEvent } from './types.ts';

/** The default most bytes one {@link SocketDemultiplexer.read} returns. */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024;

interface SocketEntry {
  readonly kind: 'socket';
  readonly socket: net.Socket;
  readonly peer: string;
  interest: Set<Readiness>;
  /** `'readable'` fired and no read has found the buffer empty since. */
  signalled: boolean;
  /** `'end'` fired: the peer's FIN was read. */
  eof: boolean;
  error: Error | undefined;
}

interface ListenerEntry {
  readonly kind: 'listener';
  readonly server: net.Server;
  readonly queue: net.Socket[];
  interest: Set<Readiness>;
}

type Entry = SocketEntry | ListenerEntry;

const EOF = Buffer.alloc(0);

/**
 * Readiness from Node sockets, for a {@link Reactor}. Handles are numbered from 1 in the order
 * sockets and servers are added.
 * @example
 * ```ts
 * const demux = new SocketDemultiplexer();
 * const reactor = new Reactor(demux);
 * const listening = demux.addServer(server); // server: net.createServer({ allowHalfOpen: true })
 * reactor.register(listening, ['readable'], { onReadable: () => acceptOne() });
 * ```
 */
export class SocketDemultiplexer implements Demultiplexer {
  readonly #entries = new Map<ReactorHandle, Entry>();
  #nextHandle = 1;
  #wake: (() => void) | undefined;
  #closed = false;

  /** Handles known now (sockets and servers). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Adds a connected socket and returns its handle. The socket goes to paused mode for good.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_CLOSED` after {@link close}.
   */
  add(socket: net.Socket): ReactorHandle {
    this.#assertOpen('add');
    const entry: SocketEntry = {
      kind: 'socket',
      socket,
      peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      interest: new Set(),
      signalled: socket.readableLength > 0,
      eof: socket.readableEnded,
      error: undefined,
    };
    const handle = this.#nextHandle++;
    this.#entries.set(handle, entry);
    socket.on('readable', () => {
      entry.signalled = true;
      this.#notify();
    });
    socket.on('end', () => {
      entry.eof = true;
      this.#notify();
    });
    socket.on('drain', () => this.#notify());
    socket.on('error', (error) => {
      entry.error = error;
      this.#notify();
    });
    socket.on('close', () => {
      // Unwatched: nobody will read the end, so forget it; watched: reads now report it.
      if (entry.interest.size === 0) this.#entries.delete(handle);
      else entry.eof = true;
      this.#notify();
    });
    return handle;
  }

  /**
   * Adds a listening (or soon listening) server; its handle is readable while connections wait
   * for {@link accept}. Use `allowHalfOpen: true` on the server so that a peer's FIN does not end
   * your side before you have read everything.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_CLOSED` after {@link close}.
   */
  addServer(server: net.Server): ReactorHandle {
    this.#assertOpen('addServer');
    const entry: ListenerEntry = { kind: 'listener', server, queue: [], interest: new Set() };
    const handle = this.#nextHandle++;
    this.#entries.set(handle, entry);
    server.on('connection', (socket: net.Socket) => {
      socket.on('error', () => {}); // until accepted, an error is the 'close' that follows
      entry.queue.push(socket);
      this.#notify();
    });
    return handle;
  }

  /**
   * Takes the oldest waiting connection of server handle `handle`, adds it and returns its
   * handle; `null` when none waits (`accept4` failing with `EAGAIN`).
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE` when `handle` is not a server.
   */
  accept(handle: ReactorHandle): ReactorHandle | null {
    const entry = this.#entry(handle);
    if (entry.kind !== 'listener') throw unknown(handle, 'is a socket, not a server');
    for (let socket = entry.queue.shift(); socket !== undefined; socket = entry.queue.shift()) {
      if (!socket.destroyed) return this.add(socket);
    }
    return null;
  }

  /**
   * Reads at most `maxBytes` (`read(2)` on a non-blocking socket): the bytes, an empty buffer at
   * the end of the stream (the peer's FIN), or `null` when nothing is buffered (`EAGAIN`).
   * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` when the socket failed (reset, …).
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE`.
   * @throws {RangeError} when `maxBytes` is not a positive integer.
   */
  read(handle: ReactorHandle, maxBytes = DEFAULT_MAX_READ_BYTES): Buffer | null {
    const entry = this.#socketEntry(handle);
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
    }
    const { socket } = entry;
    // read(n) returns null when fewer than n bytes are buffered, so ask for what is there.
    const buffered = socket.readableLength;
    const chunk = (
      buffered > 0 ? socket.read(Math.min(maxBytes, buffered)) : socket.read()
    ) as Buffer | null;
    if (chunk !== null) return chunk;
    entry.signalled = false;
    if (entry.error !== undefined) {
      throw toTcpError(entry.error, { operation: 'read', peer: entry.peer });
    }
    return entry.eof ? EOF : null;
  }

  /**
   * Queues `data` on the socket. Returns `false` when its write buffer is now over the high-water
   * mark: wait until the handle is writable before writing more (the bytes are kept either way).
   * @throws {ConnectionError} when the socket failed; {MultiplexingError}
   *   `MULTIPLEXING_ERR_CLOSED` after `end()` or once it is closed, `MULTIPLEXING_ERR_UNKNOWN_HANDLE`.
   */
  write(handle: ReactorHandle, data: Uint8Array | string): boolean {
    const entry = this.#socketEntry(handle);
    if (entry.error !== undefined) {
      throw toTcpError(entry.error, { operation: 'write', peer: entry.peer });
    }
    if (entry.socket.destroyed || entry.socket.writableEnded) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_CLOSED',
        `cannot write to handle ${handle} (${entry.peer}): the socket was ended or closed`,
      );
    }
    return entry.socket.write(data);
  }

  /**
   * Sends a FIN once queued bytes are out (half-close). The handle is forgotten when the socket
   * closes, if the reactor no longer watches it.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE`.
   */
  end(handle: ReactorHandle): void {
    this.#socketEntry(handle).socket.end();
  }

  /**
   * Closes what `handle` stands for at once and forgets it: a socket is destroyed (unsent bytes
   * are lost), a server stops listening and drops the connections waiting for `accept()`.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE`.
   */
  destroy(handle: ReactorHandle): void {
    const entry = this.#entry(handle);
    this.#entries.delete(handle);
    if (entry.kind === 'socket') {
      entry.socket.destroy();
    } else {
      entry.server.close();
      for (const socket of entry.queue.splice(0)) socket.destroy();
    }
  }

  /** @inheritDoc @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE`. */
  watch(handle: ReactorHandle, interest: readonly Readiness[]): void {
    this.#entry(handle).interest = new Set(interest);
  }

  /**
   * @inheritDoc
   * A socket that has already closed is forgotten too (as `close(2)` takes a descriptor out of
   * every epoll set), so call {@link destroy} before the reactor's `deregister()`, not after.
   */
  unwatch(handle: ReactorHandle): void {
    const entry = this.#entries.get(handle);
    if (entry === undefined) return;
    entry.interest = new Set();
    if (entry.kind === 'socket' && entry.socket.closed) this.#entries.delete(handle);
  }

  /**
   * @inheritDoc
   * When something is ready already (or the timeout is 0) it still resolves only after Node's
   * own loop has turned once (`setImmediate`): socket events come from libuv's poll phase, which a
   * reactor resolving promise after promise would never let run.
   */
  wait(timeoutMs: number | undefined): Promise<readonly ReadyEvent[]> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.#wake = undefined;
        resolve(this.#collect());
      };
      if (this.#closed || timeoutMs === 0 || this.#collect().length > 0) {
        setImmediate(finish);
        return;
      }
      this.#wake = finish;
      if (timeoutMs !== undefined) timer = setTimeout(finish, timeoutMs);
    });
  }

  /** Destroys every socket, closes every server, ends a wait in progress; further `add` throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of [...this.#entries.keys()]) this.destroy(handle);
    this.#notify();
  }

  /** The readiness of every watched handle, now. */
  #collect(): ReadyEvent[] {
    const events: ReadyEvent[] = [];
    for (const [handle, entry] of this.#entries) {
      if (entry.interest.size === 0) continue;
      let readable: boolean;
      let writable = false;
      if (entry.kind === 'listener') {
        readable = entry.queue.length > 0;
      } else {
        const { socket } = entry;
        const failed = entry.error !== undefined;
        readable = failed || entry.eof || entry.signalled || socket.readableLength > 0;
        writable = failed || (socket.writable && !socket.writableNeedDrain);
      }
      readable &&= entry.interest.has('readable');
      writable &&= entry.interest.has('writable');
      if (readable || writable) events.push({ handle, readable, writable });
    }
    return events;
  }

  #notify(): void {
    this.#wake?.();
  }

  #entry(handle: ReactorHandle): Entry {
    const entry = this.#entries.get(handle);
    if (entry === undefined) throw unknown(handle, 'is not known (never added, or closed)');
    return entry;
  }

  #socketEntry(handle: ReactorHandle): SocketEntry {
    const entry = this.#entry(handle);
    if (entry.kind !== 'socket') throw unknown(handle, 'is a server, not a socket');
    return entry;
  }

  #assertOpen(what: string): void {
    if (this.#closed) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_CLOSED',
        `${what}() was called on a closed demultiplexer`,
      );
    }
  }
}

function unknown(handle: ReactorHandle, why: string): MultiplexingError {
  return new MultiplexingError(
    'MULTIPLEXING_ERR_UNKNOWN_HANDLE',
    `handle ${String(handle)} ${why}`,
  );
}
