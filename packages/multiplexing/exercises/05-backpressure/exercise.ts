// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** What to do with a client whose held bytes would pass the high-water mark. */
export type SlowConsumerPolicy = 'drop-oldest' | 'disconnect';

/** Options of {@link startBroadcastServer}. */
export interface BroadcastServerOptions {
  /**
   * The high-water mark of ONE connection, in bytes: what the server holds for it (its own
   * queue plus what the socket has not yet handed to the kernel) may never pass it.
   */
  readonly maxBufferedBytes: number;
  /**
   * `'drop-oldest'`: drop waiting messages, oldest first, until the new one fits, and count them;
   * `'disconnect'`: send the reason line (exercises/05-backpressure/README.md, "Disconnect, with a
   * reason") and close that connection.
   */
  readonly policy: SlowConsumerPolicy;
}

/** One open connection, as {@link BroadcastServer.stats} reports it. */
export interface ConnectionStats {
  /** The client's port (`socket.remotePort`): how the spec tells connections apart. */
  readonly remotePort: number;
  /** Bytes the server holds for this client now: its queue plus `socket.writableLength`. */
  readonly queuedBytes: number;
  /** Messages dropped for this client so far (`'drop-oldest'`). */
  readonly droppedMessages: number;
}

/** What {@link startBroadcastServer} resolves with. */
export interface BroadcastServer {
  /** The port it listens on (the kernel's choice for port 0). */
  readonly port: number;
  /** Sends one message (whole, never cut) to every connected client; never waits, never throws. */
  broadcast(message: Uint8Array): void;
  /** One entry per open connection (a disconnected client is no longer listed). */
  stats(): ConnectionStats[];
  /** Stops listening, closes every connection, and resolves once closed. */
  close(): Promise<void>;
}

/**
 * Starts a broadcast server on `host:port`: every client that connects gets every message given
 * to `broadcast()`, in order, while it keeps up; one that does not costs the server at most
 * `maxBufferedBytes`, and the policy decides what it loses.
 * @example
 * const server = await startBroadcastServer({ maxBufferedBytes: 64 * 1024, policy: 'drop-oldest' });
 * setInterval(() => server.broadcast(Buffer.from(`${new Date().toISOString()}\n`)), 1000);
 */
export async function startBroadcastServer(
  options: BroadcastServerOptions,
  port = 0,
  host = '127.0.0.1',
): Promise<BroadcastServer> {
  // TODO: net.createServer({ highWaterMark }) with a socket mark well under maxBufferedBytes
  // (README, "Drop the oldest": Node 22+ defaults to 64 KiB).
  // TODO: per connection: its socket, a queue of messages, its queued bytes and dropped count.
  // TODO: broadcast: write straight to the socket only while it accepts (write() returned true)
  // and the total held stays under the mark; else queue; on 'drain', flush the queue.
  // TODO: when a message would pass the mark, apply the policy: drop the oldest queued messages
  // (count them), or write the reason line, end() the socket, and forget the connection.
  // TODO: stats(): socket.writableLength + queued bytes, for every open connection.
  throw new Error('not implemented yet: read exercises/05-backpressure/README.md');
}
