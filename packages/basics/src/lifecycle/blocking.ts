/**
 * Blocking vs non-blocking sockets, made visible in Node terms (B9).
 *
 * A blocking socket call waits: `accept()` sleeps until a client arrives, `recv()` until bytes
 * do. A server with one thread and blocking calls therefore serves ONE client at a time: while it
 * sits in `recv()` for client A, client B's connection waits in the kernel's accept queue and B's
 * bytes wait, unread, in B's receive buffer. Non-blocking sockets return at once ("nothing yet",
 * `EAGAIN`), and an event loop (`epoll`, `kqueue`) tells one thread which sockets are ready, so it
 * serves everyone, interleaved.
 *
 * Honesty note: Node's sockets are ALWAYS non-blocking underneath (libuv puts every socket in
 * non-blocking mode and waits on `epoll`/`kqueue`/IOCP). There is no blocking `recv()` to call.
 * {@link createSerialEchoServer} SIMULATES the blocking design: it takes connections off the
 * queue one at a time and leaves the others paused, unread, until the current one closes, which
 * is what a client of a blocking single-threaded server observes.
 */
import { connectEchoClient, type EchoClient } from './echo-client.ts';
import { createEchoServer, type EchoServer, type EchoServerOptions } from './echo-server.ts';
import { checkHost } from './options.ts';

/** Options of the two servers: those of `createEchoServer`, minus the schedule they fix. */
export type BlockingEchoServerOptions = Omit<EchoServerOptions, 'schedule'>;

/**
 * A line echo server that serves ONE client at a time, the way a single-threaded server with
 * blocking `accept()`/`recv()` does: the next connection is taken only when the current one has
 * closed. Waiting clients connect fine (the kernel completes their handshake) but get no replies.
 * It is simulated: see the module note; Node itself never blocks.
 *
 * @param options - As for `createEchoServer` (host, port, clock, limits).
 * @returns An `EchoServer` with `schedule: 'serial'`; call `listen()`.
 * @throws {TypeError}/{RangeError} for bad options, as `createEchoServer`.
 * @example
 * ```ts
 * const server = createSerialEchoServer();
 * const { port } = await server.listen();
 * // A connects and says nothing: B's line gets no echo until A closes.
 * ```
 */
export function createSerialEchoServer(options: BlockingEchoServerOptions = {}): EchoServer {
  return createEchoServer({ ...options, schedule: 'serial' });
}

/**
 * A line echo server that serves every client at once on Node's event loop: a silent client
 * costs the others nothing. This is `createEchoServer` with its default schedule.
 *
 * @param options - As for `createEchoServer` (host, port, clock, limits).
 * @returns An `EchoServer` with `schedule: 'concurrent'`; call `listen()`.
 * @throws {TypeError}/{RangeError} for bad options, as `createEchoServer`.
 * @example
 * ```ts
 * const server = createConcurrentEchoServer();
 * const { port } = await server.listen();
 * ```
 */
export function createConcurrentEchoServer(options: BlockingEchoServerOptions = {}): EchoServer {
  return createEchoServer({ ...options, schedule: 'concurrent' });
}

/** What {@link demonstrateBlocking} observed. */
export interface BlockingDemonstration {
  readonly schedule: 'serial' | 'concurrent';
  /** What happened, in order, one sentence each. */
  readonly story: readonly string[];
  /** Whether B got its echo while A still held its connection open. */
  readonly servedWhileHeld: boolean;
}

/**
 * Runs the experiment of lesson 06 on real sockets and tells what happened: client A connects and
 * holds its connection; client B sends a line; A does a round trip; then A closes. On a concurrent
 * server B is answered while A is connected; on a serial one only after A has gone.
 *
 * @param schedule - Which server to try.
 * @param host - A loopback address to run it on. @default '127.0.0.1'
 * @throws {TypeError} (synchronously) for an unknown schedule or a bad host.
 * @throws {BasicsError} (rejection) `BASICS_ERR_CONNECTION`/`BASICS_ERR_TIMEOUT` when a step fails.
 * @example
 * ```ts
 * const { story } = await demonstrateBlocking('serial');
 * console.log(story.join('\n'));
 * ```
 */
export function demonstrateBlocking(
  schedule: 'serial' | 'concurrent',
  host = '127.0.0.1',
): Promise<BlockingDemonstration> {
  if (schedule !== 'serial' && schedule !== 'concurrent') {
    throw new TypeError(`schedule must be 'serial' or 'concurrent', got ${String(schedule)}`);
  }
  return runDemonstration(schedule, checkHost('host', host));
}

async function runDemonstration(
  schedule: 'serial' | 'concurrent',
  host: string,
): Promise<BlockingDemonstration> {
  const server =
    schedule === 'serial' ? createSerialEchoServer({ host }) : createConcurrentEchoServer({ host });
  const story: string[] = [];
  const clients: EchoClient[] = [];
  try {
    const { port } = await server.listen();
    story.push(`a ${schedule} echo server listens on port ${port}`);
    const a = await connectEchoClient(host, port);
    clients.push(a);
    await a.echo('A is here'); // A is certainly the one being served now.
    story.push('client A connects, does one round trip, then holds its connection, silent');
    // B records its events: the story counts the bytes it has received so far.
    const b = await connectEchoClient(host, port, { recordEvents: true });
    clients.push(b);
    let aOpen = true;
    let servedWhileHeld = false;
    const bReply = b.echo('hello from B').then((reply) => {
      servedWhileHeld = aOpen;
      story.push(
        `B gets its echo ${JSON.stringify(reply)} ${aOpen ? 'while A is still connected' : 'only now'}`,
      );
    });
    story.push('client B connects and sends "hello from B"');
    if (schedule === 'concurrent') await bReply;
    await a.echo('ping from A');
    const received = b.events.reduce((sum, e) => sum + (e.step === 'receive' ? e.bytes : 0), 0);
    story.push(
      schedule === 'concurrent'
        ? 'A does a round trip ("ping from A") too: both are served, interleaved'
        : `A does a round trip ("ping from A"): the server is busy with A; B has received ${received} bytes`,
    );
    aOpen = false;
    await a.end();
    story.push('A closes its connection');
    await bReply;
    await b.end();
    return { schedule, story, servedWhileHeld };
  } finally {
    for (const client of clients) client.destroy();
    await server.close();
  }
}
