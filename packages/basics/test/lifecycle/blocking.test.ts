import { type LoopbackHost, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createConcurrentEchoServer,
  createSerialEchoServer,
  demonstrateBlocking,
} from '../../src/lifecycle/blocking.ts';
import type { EchoServer, LifecycleEvent } from '../../src/lifecycle/index.ts';
import { eventFrom, untilEvent } from '../helpers/lifecycle-events.ts';

const HOSTS: LoopbackHost[] = ['127.0.0.1', '::1'];

async function start(server: EchoServer) {
  onTestFinished(() => server.close());
  const events: LifecycleEvent[] = [];
  server.on('lifecycle', (event) => events.push(event));
  const { port } = await server.listen();
  const until = (what: string, matches: (e: LifecycleEvent) => boolean): Promise<LifecycleEvent> =>
    untilEvent(server, events, what, matches);
  return { events, port, until };
}

/** A test client that remembers its local port (a closed socket forgets it). */
async function connect(host: LoopbackHost, port: number): Promise<WireClient & { port: number }> {
  const client = await WireClient.connect(host, port);
  onTestFinished(() => client.close());
  return Object.assign(client, { port: client.socket.localPort as number });
}

/** Starts `server` and connects A, the client it serves first, once the server has accepted it. */
async function startServingA(server: EchoServer, host: LoopbackHost) {
  const started = await start(server);
  const a = await connect(host, started.port);
  await started.until('A to be accepted', eventFrom(a.port, 'accept'));
  return { ...started, a };
}

describe.each(HOSTS)('blocking vs non-blocking on %s', (host) => {
  it('the concurrent server echoes B while A holds its connection, silent', async () => {
    const server = createConcurrentEchoServer({ host });
    const { a, port } = await startServingA(server, host);
    const b = await connect(host, port);
    await b.send('hello from B\n');
    expect(await b.readLine(), 'B is answered at once').toBe('hello from B');
    expect(a.socket.destroyed, 'A is still connected').toBe(false);
    expect(server.connectionCount).toBe(2);
  });

  it('the serial server gives B nothing until A closes, then echoes B', async () => {
    const server = createSerialEchoServer({ host });
    const { a, events, port } = await startServingA(server, host);
    const b = await connect(host, port);
    await b.send('hello from B\n');

    // A full round trip on A: the server has certainly run since B's line was sent.
    await a.send('ping\n');
    expect(await a.readLine(), 'A, the client being served, is echoed').toBe('ping');
    expect(b.socket.bytesRead, 'B has received nothing while A holds the server').toBe(0);
    expect(events.filter(eventFrom(b.port)), 'the server has not even accepted B').toEqual([]);
    expect(server.connectionCount, 'B waits in the queue').toBe(2);

    a.end();
    await a.readToEnd();
    expect(await b.readLine(), 'B is echoed once A has gone').toBe('hello from B');

    const aClosed = events.findIndex(eventFrom(a.port, 'close'));
    const bAccepted = events.findIndex(eventFrom(b.port, 'accept'));
    const bEchoed = events.findIndex(eventFrom(b.port, 'send'));
    expect(aClosed, "A's close was reported").toBeGreaterThanOrEqual(0);
    expect(bAccepted, 'B is accepted only after A closed').toBeGreaterThan(aClosed);
    expect(bEchoed, 'B is echoed after that').toBeGreaterThan(bAccepted);
    expect(events[bAccepted]?.detail).toMatch(/serving this one alone/);
  });

  it('the serial server skips a waiting client that gave up', async () => {
    const server = createSerialEchoServer({ host });
    const { a, events, port, until } = await startServingA(server, host);
    const quitter = await connect(host, port);
    quitter.close();
    const c = await connect(host, port);
    await c.send('third\n');
    a.close();
    expect(await c.readLine(), 'C is served after the quitter').toBe('third');
    const quitterEnd = await until('the quitter to be closed', eventFrom(quitter.port, 'close'));
    expect(quitterEnd.step).toBe('close');
    expect(events.filter(eventFrom(c.port, 'accept'))).toHaveLength(1);
  });

  it('closing the serial server ends the waiting clients too', async () => {
    const server = createSerialEchoServer({ host });
    const { events, port } = await startServingA(server, host);
    const b = await connect(host, port);
    await withTimeout(server.close(), 'the server to close');
    expect(events.find(eventFrom(b.port, 'close'))).toMatchObject({
      reason: 'server-shutdown',
      detail: expect.stringMatching(/never served/),
    });
    await b.readToEnd().catch(() => undefined); // closed or reset: either way, not left hanging
    expect(b.socket.destroyed || b.socket.readableEnded).toBe(true);
  });
});

describe('demonstrateBlocking', () => {
  it('tells that a serial server answers B only after A has gone', async () => {
    const { story, servedWhileHeld } = await demonstrateBlocking('serial');
    expect(servedWhileHeld).toBe(false);
    expect(story.join('\n')).toMatch(
      /B has received 0 bytes[\s\S]*A closes[\s\S]*B gets its echo "hello from B" only now/,
    );
  });

  it('tells that a concurrent server answers B while A is connected', async () => {
    const { story, servedWhileHeld } = await demonstrateBlocking('concurrent');
    expect(servedWhileHeld).toBe(true);
    expect(story.join('\n')).toMatch(
      /B gets its echo "hello from B" while A is still connected[\s\S]*A closes/,
    );
  });

  it('rejects an unknown schedule at once', () => {
    expect(() => demonstrateBlocking('parallel' as 'serial')).toThrow(TypeError);
  });
});
