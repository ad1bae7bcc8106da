import net from 'node:net';
import { connectTcp, pollUntil, seededBytes, thrownBy, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listenReactorEcho, Reactor, SocketDemultiplexer } from '../../src/index.ts';

async function echoServer(maxReadBytes = 1024) {
  const echo = await listenReactorEcho({ maxReadBytes });
  onTestFinished(() => echo.close());
  return echo;
}

/** Sends `payload`, half-closes, and resolves with every byte echoed once the server's FIN came. */
async function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  const socket = await connectTcp(port);
  onTestFinished(() => {
    socket.destroy();
  });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('error', reject);
  });
  socket.end(payload);
  await withTimeout(ended, `the echo of ${payload.length} bytes`, 10_000);
  return Buffer.concat(chunks);
}

describe('a TCP echo server run by the reactor', () => {
  it('echoes several clients at once, one loop dispatching by connection', async () => {
    const echo = await echoServer();
    const payloads = Array.from({ length: 6 }, (_, i) => Buffer.from(`client ${i} says hello\n`));
    const echoed = await Promise.all(payloads.map((p) => roundTrip(echo.address.port, p)));
    expect(echoed.map(String)).toEqual(payloads.map(String));
    expect(echo.stats.accepted).toBe(6);
  });

  it('echoes a large payload split across many reads while small clients are served too', async () => {
    const echo = await echoServer(1024);
    const big = seededBytes(3, 1024 * 1024);
    const [bigEcho, ...small] = await Promise.all([
      roundTrip(echo.address.port, big),
      roundTrip(echo.address.port, Buffer.from('small one')),
      roundTrip(echo.address.port, Buffer.from('small two')),
    ]);
    expect(bigEcho.equals(big)).toBe(true);
    expect(small.map(String)).toEqual(['small one', 'small two']);
    expect(echo.stats.reads).toBeGreaterThanOrEqual(1024); // at most 1 KiB a read
    expect(echo.stats.bytes).toBe(big.length + 18);
  });

  it('forgets a connection its client closed, cleanly or with a reset', async () => {
    const echo = await echoServer();
    const clean = await connectTcp(echo.address.port);
    const reset = await connectTcp(echo.address.port);
    onTestFinished(() => {
      clean.destroy();
      reset.destroy();
    });
    reset.on('error', () => {});
    await pollUntil(() => echo.reactor.size === 3, 'both connections registered');
    clean.end();
    reset.resetAndDestroy();
    await pollUntil(
      () => echo.reactor.size === 1 && echo.demultiplexer.size === 1,
      'only the listening handle left',
    );
    // The server still serves.
    expect(String(await roundTrip(echo.address.port, Buffer.from('again')))).toBe('again');
  });

  it('ends its loop on close() and refuses new connections', async () => {
    const echo = await echoServer();
    const port = echo.address.port;
    await echo.close();
    await expect(echo.done).resolves.toBeGreaterThanOrEqual(0);
    expect(echo.reactor.closed).toBe(true);
    await expect(connectTcp(port)).rejects.toThrow();
  });
});

describe('the reactor over real sockets', () => {
  it('wakes from a real wait for its timer when no socket is ready', async () => {
    const demux = new SocketDemultiplexer();
    const reactor = new Reactor(demux);
    onTestFinished(() => {
      reactor.close();
      demux.close();
    });
    const fired: string[] = [];
    reactor.setTimer(1, () => fired.push('first'));
    reactor.setTimer(2, () => fired.push('second'));
    await withTimeout(reactor.run({ maxTurns: 100 }), 'two 1–2 ms timers');
    expect(fired).toEqual(['first', 'second']);
  });
});

describe('misuse of the socket demultiplexer', () => {
  it('refuses handles it does not know and servers where a socket is expected', () => {
    const demux = new SocketDemultiplexer();
    onTestFinished(() => demux.close());
    expect(thrownBy(() => demux.read(42), 'read(42)').code).toBe('MULTIPLEXING_ERR_UNKNOWN_HANDLE');
    const server = net.createServer();
    const listening = demux.addServer(server);
    expect(thrownBy(() => demux.write(listening, 'x'), 'write to a server').code).toBe(
      'MULTIPLEXING_ERR_UNKNOWN_HANDLE',
    );
    expect(demux.accept(listening)).toBeNull();
    demux.close();
    expect(thrownBy(() => demux.addServer(server), 'add after close').code).toBe(
      'MULTIPLEXING_ERR_CLOSED',
    );
  });
});
