/*
 * Regression: the echo pair built a typed event (a clock read, an object, often a detail string)
 * for every step even when nobody listened, which made an unwatched round trip cost about twice
 * a bare `node:net` echo. Each test counts the events built through the injected clock: the
 * emitters read it exactly once per event they build, and for nothing else.
 */
import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  connectEchoClient,
  createEchoServer,
  type EchoClientOptions,
  type EchoServerOptions,
  type LifecycleEvent,
} from '../../src/lifecycle/index.ts';
import { untilEvent } from '../helpers/lifecycle-events.ts';

const HOST = '127.0.0.1';

/** A clock that counts its reads: one per event built. */
function countingClock(): { clock: () => number; reads: () => number } {
  let reads = 0;
  return { clock: () => ++reads, reads: () => reads };
}

async function startServer(options: EchoServerOptions) {
  const server = createEchoServer({ host: HOST, port: 0, ...options });
  onTestFinished(() => server.close());
  const { port } = await server.listen();
  return { server, port };
}

async function connect(port: number, options: EchoClientOptions) {
  const client = await connectEchoClient(HOST, port, options);
  onTestFinished(() => client.destroy());
  return client;
}

describe('lifecycle events without anyone watching', () => {
  it('builds no server event while the server has no lifecycle listener', async () => {
    const serverClock = countingClock();
    const { server, port } = await startServer({ clock: serverClock.clock });
    const client = await connect(port, {});
    for (let i = 0; i < 20; i++) expect(await client.echo(`line ${i}`)).toBe(`line ${i}`);
    await client.end();
    await withTimeout(server.close(), 'the server to close');
    expect(serverClock.reads(), 'server events built').toBe(0);
  });

  it('gives a listener attached later every step from then on, and none once it is removed', async () => {
    const serverClock = countingClock();
    const { server, port } = await startServer({ clock: serverClock.clock });
    const client = await connect(port, {});
    expect(await client.echo('before')).toBe('before');
    expect(serverClock.reads(), 'nothing built before the listener').toBe(0);

    const events: LifecycleEvent[] = [];
    const listener = (event: LifecycleEvent): void => {
      events.push(event);
    };
    server.on('lifecycle', listener);
    expect(await client.echo('during')).toBe('during');
    await untilEvent(server, events, 'the echo to be sent', (e) => e.step === 'send');
    // TCP may deliver the 7 bytes as more than one read; each is its own receive event.
    const steps = events.map((e) => e.step).filter((step, i, all) => step !== all[i - 1]);
    expect(steps).toEqual(['receive', 'send']);
    expect(events.find((e) => e.step === 'send')).toMatchObject({
      side: 'server',
      connectionId: 1,
      bytes: 7,
      tuple: { protocol: 'tcp', localPort: port, remotePort: client.tuple?.localPort },
    });
    expect(serverClock.reads(), 'one clock read per event delivered').toBe(events.length);

    server.off('lifecycle', listener);
    const seen = events.length;
    expect(await client.echo('after')).toBe('after');
    await client.end();
    await withTimeout(server.close(), 'the server to close');
    expect(events.length, 'no event after the listener left').toBe(seen);
    expect(serverClock.reads(), 'nothing built after the listener left').toBe(seen);
  });

  it('builds only the close event of a client with no onEvent and no recordEvents', async () => {
    const { port } = await startServer({});
    const clientClock = countingClock();
    const client = await connect(port, { clock: clientClock.clock });
    for (let i = 0; i < 20; i++) expect(await client.echo(`line ${i}`)).toBe(`line ${i}`);
    expect(clientClock.reads(), 'client events built before closing').toBe(0);
    const close = await client.end();
    // end() and closed settle with the close event, so that one is built: once per connection.
    expect(close).toMatchObject({ step: 'close', side: 'client', clean: true, reason: 'normal' });
    expect(clientClock.reads()).toBe(1);
    expect(client.events).toEqual([]);
  });

  it('records every step when recordEvents is on, as before', async () => {
    const { port } = await startServer({});
    const clientClock = countingClock();
    const client = await connect(port, { clock: clientClock.clock, recordEvents: true });
    expect(await client.echo('hi')).toBe('hi');
    const close = await client.end();
    const steps = client.events.map((e) => e.step).filter((step, i, all) => step !== all[i - 1]);
    expect(steps).toEqual(['create', 'connect', 'send', 'receive', 'half-close', 'close']);
    expect(client.events.at(-1)).toBe(close);
    expect(clientClock.reads()).toBe(client.events.length);
  });
});
