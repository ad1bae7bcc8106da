import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import {
  connectGraded,
  connectTcp,
  describeByteDifference,
  freePort,
  isModuleTarget,
  lessonOf,
  loadExercise,
  printable,
  type ServerUnderTest,
  startGradedServer,
  type Thrown,
  type WireClient,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

// The server half is graded over the wire, so it grades the solution, your exercise, or a program
// in any language (SOCKETLAB_TARGET='cmd:python3 examples/tcp_echo_server.py'). The client half
// calls your tcpEchoOnce(), so it runs for the solutions and exercises targets only.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);

const HALF_CLOSE_HINT = `After the client's FIN the server must still send every echo, and only then its own FIN. ${lesson.see('Half-close')}`;
const BYTES_HINT = `Echo every byte as it came, binary included (never decode it as text). ${lesson.see('A byte stream, both ways')}`;
const ERROR_HINT = `Give every socket an 'error' listener: without one, a client's reset (ECONNRESET) is thrown from the event loop and takes the whole server, and every other client, down. ${lesson.see('Errors on one connection')}`;
const BACKPRESSURE_HINT = `When socket.write() returns false, stop reading (socket.pause()) until 'drain', then resume(). ${lesson.see('Backpressure')}`;

// In this process, a socket without an 'error' listener throws from the event loop: the test that
// caused it fails with the hint (a separate program just dies, and the next connection is refused).
function startTarget(): Promise<ServerUnderTest> {
  return startGradedServer<Exercise>(import.meta.url, (mod) => mod.startTcpEchoServer(0), {
    uncaughtHint: ERROR_HINT,
  });
}

/**
 * The section that explains a wrong echo: bytes that differ mean the server changed them (text
 * decoding); a prefix cut short means it closed before the echo was out.
 */
function echoHint(sent: Uint8Array, echoed: Uint8Array): string {
  const shared = Math.min(sent.length, echoed.length);
  const changed = Buffer.compare(
    Buffer.from(sent.subarray(0, shared)),
    Buffer.from(echoed.subarray(0, shared)),
  );
  return changed !== 0 || echoed.length > sent.length ? BYTES_HINT : HALF_CLOSE_HINT;
}

/** Reads exactly `expected.length` bytes and fails with the first difference if they differ. */
async function expectBytes(client: WireClient, expected: Uint8Array, hint = ''): Promise<void> {
  const got = await client.readBytes(expected.length).catch((error: Error) => {
    throw new Error(`${error.message}${hint ? `\n${hint}` : ''}`);
  });
  const difference = describeByteDifference(expected, got);
  if (difference) {
    throw client.fail(`the echo differs from what was sent: ${difference}\n${BYTES_HINT}`);
  }
}

/** The most a correct server and the kernel's buffers can hold while the client reads nothing. */
function kernelBufferBound(): number {
  const max = (file: string, fallback: number): number => {
    try {
      const value = Number(readFileSync(file, 'utf8').trim().split(/\s+/).at(-1));
      return Number.isFinite(value) && value > 0 ? value : fallback;
    } catch {
      return fallback; // not Linux: assume generous buffers
    }
  };
  const rmem = max('/proc/sys/net/ipv4/tcp_rmem', 32 * 1024 * 1024);
  const wmem = max('/proc/sys/net/ipv4/tcp_wmem', 8 * 1024 * 1024);
  // Both directions: our send and its receive buffer, its send and our receive buffer; plus
  // whatever the server holds in its process while it waits for 'drain' (one chunk, or 16 MiB).
  return Math.max(64 * 1024 * 1024, 2 * (rmem + wmem) + 16 * 1024 * 1024);
}

/**
 * How long our writes must make no progress before we call the server "not reading". Over the
 * wire, "the server stopped reading" is the absence of an event: nothing is sent when a peer
 * stops reading and its window closes. So this one wait is a quiet period, not an event. It can
 * only make a wrong server pass (one too slow to take a byte for this long), never fail a
 * correct one, which stops for good.
 */
const QUIET_MS = 750;

/**
 * Writes `chunk` over and over without reading, until our writes stop reaching the kernel for
 * QUIET_MS (the server stopped reading: backpressure), or `limit` bytes have gone, or `total`
 * bytes (then FIN, with `end`) are all written. Resolves with the bytes the kernel took.
 */
async function writeUntilStalled(
  socket: net.Socket,
  chunk: Buffer,
  { limit, end = false }: { limit: number; end?: boolean },
): Promise<{ written: number; accepted: number; stalled: boolean }> {
  let written = 0;
  let accepted = 0;
  let wake: (() => void) | undefined;
  const inFlight = 4 * chunk.length;
  for (let rounds = 0; rounds <= limit / chunk.length + 1; rounds++) {
    while (written - accepted < inFlight && written < limit) {
      written += chunk.length;
      const last = written >= limit && end;
      const done = (error?: Error | null): void => {
        if (!error) accepted += chunk.length;
        wake?.();
      };
      if (last) socket.end(chunk, done);
      else socket.write(chunk, done);
    }
    if (accepted >= limit) return { written, accepted, stalled: false };
    const progressed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), QUIET_MS);
      wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    wake = undefined;
    if (!progressed || socket.destroyed) return { written, accepted, stalled: true };
  }
  return { written, accepted, stalled: false };
}

/** A raw client that reads nothing until told to (paused), closed when the test ends. */
async function connectNotReading(server: ServerUnderTest): Promise<net.Socket> {
  const socket = await connectTcp(server.port, server.host);
  onTestFinished(() => void socket.destroy());
  socket.on('error', () => undefined);
  socket.pause();
  return socket;
}

/** Collects everything the socket receives until the server's FIN (bounded by `ms`). */
async function readUntilEnd(socket: net.Socket, what: string, ms: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  await withTimeout(once(socket, 'end'), what, ms);
  return Buffer.concat(chunks);
}

function pattern(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));
}

describe('a TCP echo server (graded over the wire)', () => {
  it('echoes every byte value back exactly, not just text lines', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // includes \0, \r, \n, 0xff
    await client.send(all);
    await expectBytes(client, all);
  });

  it('keeps the connection open after an echo, and echoes data split across writes', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    await client.send('first');
    await expectBytes(client, Buffer.from('first'));
    for (const piece of ['sec', 'o', 'nd ', 'write']) await client.send(piece);
    await expectBytes(client, Buffer.from('second write'));
  });

  it('serves 10 clients at once, each getting only its own bytes', async () => {
    const server = await startTarget();
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectGraded(server)));
    const payloads = clients.map((_, i) => pattern(1000 + i, i));
    for (const [i, client] of clients.entries())
      await client.send(payloads[i]?.subarray(0, 500) ?? '');
    for (const [i, client] of [...clients.entries()].reverse()) {
      await client.send(payloads[i]?.subarray(500) ?? '');
    }
    await Promise.all(
      clients.map((client, i) => expectBytes(client, payloads[i] ?? Buffer.alloc(0))),
    );
  });

  it('finishes echoing 256 KiB after the client half-closes, then sends its own FIN', async () => {
    const server = await startTarget();
    const client = await connectGraded(server);
    const payload = pattern(256 * 1024, 7);
    await client.send(payload);
    client.end(); // FIN right away: most of the echo is still to come
    const rest = await client.readToEnd().catch((error: Error) => {
      throw new Error(`${error.message}\n${HALF_CLOSE_HINT}`);
    });
    const difference = describeByteDifference(payload, rest);
    if (difference) {
      throw client.fail(
        `sent 256 KiB then FIN; before the server's FIN came: ${difference}\n${echoHint(payload, rest)}`,
      );
    }
  });

  it('after the FIN, still sends an echo it had to hold back for a client that was not reading (8 MiB)', async () => {
    const server = await startTarget();
    // Read nothing yet: the echo piles up in the kernel's buffers, then the server's.
    const socket = await connectNotReading(server);
    const chunk = pattern(64 * 1024, 11);
    const size = 8 * 1024 * 1024;
    // All of it, then FIN, until either it is all in the kernel (the server read on) or the server
    // stopped reading (backpressure, as it should): then it holds an echo it cannot send yet.
    await writeUntilStalled(socket, chunk, { limit: size, end: true });
    const echoed = await readUntilEnd(
      socket,
      `the server's FIN after the whole echo. ${HALF_CLOSE_HINT}`,
      15_000,
    );
    const payload = Buffer.concat(Array.from({ length: size / chunk.length }, () => chunk));
    const difference = describeByteDifference(payload, echoed);
    if (difference) {
      const hint = echoHint(payload, echoed);
      throw new Error(
        `sent 8 MiB and FIN without reading, then read: ${difference}.${hint === HALF_CLOSE_HINT ? " A server that closes or destroys its socket on the client's FIN drops the echo it still holds." : ''}\n${hint}`,
      );
    }
  });

  it('stops reading from a client that does not read its echo (backpressure), then echoes it all', async () => {
    const server = await startTarget();
    const socket = await connectNotReading(server);
    const chunk = pattern(64 * 1024, 13);
    const limit = kernelBufferBound();
    const { written, accepted, stalled } = await writeUntilStalled(socket, chunk, { limit });
    if (!stalled) {
      throw new Error(
        `sent ${accepted >> 20} MiB and read none of the echo, and the server kept reading all of it (more than the kernel's buffers can hold, ${limit >> 20} MiB): it is holding the echo in its own memory, and a client that never reads would make it run out.\n${BACKPRESSURE_HINT}`,
      );
    }
    // The server stopped reading. Now read: it must resume, and echo every byte we wrote.
    socket.end();
    const echoed = await readUntilEnd(
      socket,
      `the whole echo of ${written} bytes, then the server's FIN, once we read again. A server that paused must resume() on 'drain'. ${BACKPRESSURE_HINT}`,
      30_000,
    );
    const sent = Buffer.concat(Array.from({ length: written / chunk.length }, () => chunk));
    const difference = describeByteDifference(sent, echoed);
    if (difference) {
      throw new Error(
        `wrote ${written} bytes without reading, then read until the server's FIN: ${difference}\n${echoHint(sent, echoed)}`,
      );
    }
  });

  it('keeps serving after a client resets its connection', async () => {
    const server = await startTarget();
    const reset = await connectGraded(server);
    await reset.send('ping');
    await expectBytes(reset, Buffer.from('ping'));
    reset.socket.resetAndDestroy();
    const next = await connectGraded(server).catch((error: Error) => {
      throw new Error(`${error.message}\nA client had just reset its connection. ${ERROR_HINT}`);
    });
    await next.send('still there?');
    await expectBytes(
      next,
      Buffer.from('still there?'),
      `A client had just reset its connection. ${ERROR_HINT}`,
    );
  });
});

/**
 * A server the spec controls: `reply(received)` is sent after the client's FIN, then our FIN
 * (or, with `reset`, a reset instead: the reply is then cut short).
 */
async function startReferenceServer(
  reply: (received: Buffer) => Buffer,
  { reset = false } = {},
): Promise<number> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const chunks: Buffer[] = [];
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      if (!reset) return void socket.end(reply(Buffer.concat(chunks)));
      socket.write(reply(Buffer.concat(chunks)), () => socket.resetAndDestroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    for (const socket of open) socket.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

describe.runIf(isModuleTarget())("the echo server's close()", () => {
  it('resolves while a client is still connected (it closes open connections too)', async () => {
    const { startTcpEchoServer } = await loadExercise<Exercise>(import.meta.url);
    const server = await startTcpEchoServer(0);
    onTestFinished(() => void server.close()); // not awaited: the close itself is under test
    const client = await connectGraded({ host: '127.0.0.1', port: server.port });
    await client.send('still here');
    await expectBytes(client, Buffer.from('still here'));
    await withTimeout(
      server.close(),
      `close() to resolve while a client is connected: server.close() alone waits for every connection to end, so keep the open sockets in a Set and destroy them. ${lesson.see('Your task')}`,
      3_000,
    );
  });
});

describe.runIf(isModuleTarget())('the TCP echo client tcpEchoOnce()', () => {
  const CLIENT_HINT = `tcpEchoOnce must send, then half-close with end() (the server waits for that FIN), then collect every chunk until the server's FIN (the "end" event). ${lesson.see('The client')}`;

  async function run(port: number, data: string | Uint8Array): Promise<Buffer> {
    const { tcpEchoOnce } = await loadExercise<Exercise>(import.meta.url);
    return withTimeout(
      tcpEchoOnce('127.0.0.1', port, data),
      `tcpEchoOnce to finish. ${CLIENT_HINT}`,
    );
  }

  it('sends, half-closes, and returns what an echo server sent back', async () => {
    const port = await startReferenceServer((received) => received);
    const payload = pattern(64 * 1024, 3);
    const reply = await run(port, payload);
    const difference = describeByteDifference(payload, reply);
    if (difference) throw new Error(`tcpEchoOnce returned other bytes: ${difference}`);
  });

  it('sends text as UTF-8 and waits for a reply that only comes after its FIN', async () => {
    const port = await startReferenceServer((received) =>
      Buffer.from(`got ${received.length} bytes: ${received.toString('utf8')}`),
    );
    const reply = await run(port, 'héllo ✓');
    expect(reply.toString('utf8'), `the reply, as bytes: ${printable(reply)}`).toBe(
      'got 10 bytes: héllo ✓',
    );
  });

  it('reads until the server closes, not just the first chunk (a 1 MiB reply)', async () => {
    const big = pattern(1 << 20, 9);
    const port = await startReferenceServer(() => big);
    const reply = await run(port, 'send me a lot');
    expect(reply.length, `expected all ${big.length} bytes of the reply. ${CLIENT_HINT}`).toBe(
      big.length,
    );
    expect(describeByteDifference(big, reply)).toBeUndefined();
  });

  it('rejects when the server resets the connection in the middle of its reply', async () => {
    const port = await startReferenceServer(() => pattern(64 * 1024, 5), { reset: true });
    const { tcpEchoOnce } = await loadExercise<Exercise>(import.meta.url);
    const outcome = await withTimeout(
      tcpEchoOnce('127.0.0.1', port, 'half a reply, please').then(
        (value) => ({ resolved: value }),
        (error: unknown) => ({ rejected: error }),
      ),
      'tcpEchoOnce to settle after a reset',
    );
    const error = 'rejected' in outcome ? (outcome.rejected as Thrown | undefined) : undefined;
    if (error instanceof Error && /not implemented yet/.test(error.message)) throw error;
    const isReset = (code: unknown): boolean => code === 'ECONNRESET' || code === 'EPIPE';
    const cause = error?.cause as { code?: unknown } | undefined;
    const code = [error?.code, cause?.code].find(isReset) ?? error?.code;
    expect(
      'resolved' in outcome ? `resolved with ${outcome.resolved.length} bytes` : `rejected ${code}`,
      `the server sent part of a reply, then a reset (RST), not a FIN: the reply is incomplete, so reject with the socket's error (ECONNRESET), never resolve with what came so far. See "The client" in exercises/01-tcp-echo/README.md.`,
    ).toMatch(/^rejected (ECONNRESET|EPIPE)$/);
  });

  it('rejects when nothing listens (connection refused) instead of resolving', async () => {
    const port = await freePort('127.0.0.1');
    const { tcpEchoOnce } = await loadExercise<Exercise>(import.meta.url);
    const outcome = await withTimeout(
      tcpEchoOnce('127.0.0.1', port, 'anyone?').then(
        (value) => ({ resolved: value }),
        (error: unknown) => ({ rejected: error }),
      ),
      'tcpEchoOnce to fail on a closed port',
    );
    expect(outcome, 'a refused connection must reject (listen for "error")').toHaveProperty(
      'rejected',
    );
    const error = (outcome as { rejected: { code?: unknown; cause?: { code?: unknown } } })
      .rejected;
    const code = error?.code === 'ECONNREFUSED' ? error.code : error?.cause?.code;
    expect(
      code,
      `reject with the socket's own error (code ECONNREFUSED) or one whose cause is it; got ${String(error)}`,
    ).toBe('ECONNREFUSED');
  });
});
