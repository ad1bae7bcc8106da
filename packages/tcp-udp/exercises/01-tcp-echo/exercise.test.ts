import { once } from 'node:events';
import net from 'node:net';
import {
  describeByteDifference,
  freePort,
  isModuleTarget,
  loadExercise,
  printable,
  type ServerUnderTest,
  startServerUnderTest,
  type Thrown,
  WireClient,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

// The server half is graded over the wire, so it grades the solution, your exercise, or a program
// in any language (SOCKETLAB_TARGET='cmd:python3 examples/tcp_echo_server.py'). The client half
// calls your tcpEchoOnce(), so it runs for the solutions and exercises targets only.
type Exercise = typeof import('./exercise.ts');

const HALF_CLOSE_HINT =
  "After the client's FIN the server must still send every echo, and only then its own FIN: " +
  'see "Half-close" in exercises/01-tcp-echo/README.md.';

async function startTarget(): Promise<ServerUnderTest> {
  const server = await startServerUnderTest<Exercise>(import.meta.url, (mod) =>
    mod.startTcpEchoServer(0),
  );
  onTestFinished(() => server.close());
  return server;
}

async function connect(server: ServerUnderTest): Promise<WireClient> {
  const client = await WireClient.connect(server.host, server.port);
  onTestFinished(() => client.close());
  return client;
}

/** Reads exactly `expected.length` bytes and fails with the first difference if they differ. */
async function expectBytes(client: WireClient, expected: Uint8Array, hint = ''): Promise<void> {
  const got = await client.readBytes(expected.length).catch((error: Error) => {
    throw new Error(`${error.message}${hint ? `\n${hint}` : ''}`);
  });
  const difference = describeByteDifference(expected, got);
  if (difference) {
    throw client.fail(
      `the echo differs from what was sent: ${difference}\nEcho every byte as it came, binary included: see "A byte stream, both ways" in exercises/01-tcp-echo/README.md`,
    );
  }
}

function pattern(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));
}

describe('a TCP echo server (graded over the wire)', () => {
  it('echoes every byte value back exactly, not just text lines', async () => {
    const server = await startTarget();
    const client = await connect(server);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // includes \0, \r, \n, 0xff
    await client.send(all);
    await expectBytes(client, all);
  });

  it('keeps the connection open after an echo, and echoes data split across writes', async () => {
    const server = await startTarget();
    const client = await connect(server);
    await client.send('first');
    await expectBytes(client, Buffer.from('first'));
    for (const piece of ['sec', 'o', 'nd ', 'write']) await client.send(piece);
    await expectBytes(client, Buffer.from('second write'));
  });

  it('serves 10 clients at once, each getting only its own bytes', async () => {
    const server = await startTarget();
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect(server)));
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
    const client = await connect(server);
    const payload = pattern(256 * 1024, 7);
    await client.send(payload);
    client.end(); // FIN right away: most of the echo is still to come
    const rest = await client.readToEnd().catch((error: Error) => {
      throw new Error(`${error.message}\n${HALF_CLOSE_HINT}`);
    });
    const difference = describeByteDifference(payload, rest);
    if (difference) {
      throw client.fail(
        `after the client's FIN the server must echo everything, then close; ${difference}\n${HALF_CLOSE_HINT}`,
      );
    }
  });

  it('after the FIN, still sends an echo it had to hold back for a client that was not reading (8 MiB)', async () => {
    const server = await startTarget();
    const socket = net.connect({ host: server.host, port: server.port });
    onTestFinished(() => void socket.destroy());
    socket.on('error', () => undefined);
    await withTimeout(once(socket, 'connect'), `a connection to ${server.host}:${server.port}`);
    socket.pause(); // read nothing yet: the echo piles up in the kernel's buffers, then the server's
    const payload = pattern(8 * 1024 * 1024, 11);
    socket.end(payload); // all of it, then FIN
    // Give the server a moment to read what it can, our FIN included, while its echo has nowhere
    // to go. No wait for our own write to finish: a server that stops reading while its writes
    // are pending (backpressure, as it should) would never let it. Pacing only: a correct server
    // passes whatever the timing.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    await withTimeout(
      once(socket, 'end'),
      `the server's FIN after the whole echo. ${HALF_CLOSE_HINT}`,
      15_000,
    );
    const echoed = Buffer.concat(chunks);
    const difference = describeByteDifference(payload, echoed);
    if (difference) {
      throw new Error(
        `sent 8 MiB and FIN without reading, then read: ${difference}. A server that closes or destroys its socket on the client's FIN drops the echo it still holds.\n${HALF_CLOSE_HINT}`,
      );
    }
  });

  it('keeps serving after a client resets its connection', async () => {
    const server = await startTarget();
    const reset = await connect(server);
    await reset.send('ping');
    await expectBytes(reset, Buffer.from('ping'));
    reset.socket.resetAndDestroy();
    const next = await connect(server);
    await next.send('still there?');
    await expectBytes(
      next,
      Buffer.from('still there?'),
      'A client had just reset its connection: give every socket an "error" listener, or one reset crashes the server.',
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

describe.runIf(isModuleTarget())('the TCP echo client tcpEchoOnce()', () => {
  const CLIENT_HINT =
    'tcpEchoOnce must send, then half-close with end() (the server waits for that FIN), then ' +
    'collect every chunk until the server\'s FIN (the "end" event): see "The client" in ' +
    'exercises/01-tcp-echo/README.md.';

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
