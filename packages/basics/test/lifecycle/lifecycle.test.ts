import { once } from 'node:events';
import net from 'node:net';
import {
  closeServer,
  connectTcp,
  freePort,
  type LoopbackHost,
  listenOnFreePort,
  nextEvent,
  pollUntil,
  WireClient,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { BasicsError } from '../../src/errors.ts';
import {
  type CloseEvent,
  connectEchoClient,
  createEchoServer,
  type EchoClient,
  type EchoClientOptions,
  type EchoServerOptions,
  echoOnce,
  fiveTuple,
  type LifecycleEvent,
} from '../../src/lifecycle/index.ts';
import { eventFrom, untilClosedFrom, untilEvent } from '../helpers/lifecycle-events.ts';

const HOSTS: LoopbackHost[] = ['127.0.0.1', '::1'];

/** Steps with consecutive repeats merged: TCP may deliver one write as several reads. */
function steps(events: readonly LifecycleEvent[]): string[] {
  return events.map((e) => e.step).filter((step, i, all) => step !== all[i - 1]);
}

async function startServer(host: LoopbackHost, options: EchoServerOptions = {}) {
  const server = createEchoServer({ host, port: 0, ...options });
  onTestFinished(() => server.close());
  const events: LifecycleEvent[] = [];
  server.on('lifecycle', (event) => events.push(event));
  const address = await server.listen();
  return { server, events, port: address.port, address };
}

async function connectClient(
  host: LoopbackHost,
  port: number,
  options: EchoClientOptions = {},
): Promise<EchoClient> {
  const client = await connectEchoClient(host, port, options);
  onTestFinished(() => {
    client.destroy();
  });
  return client;
}

function eventsOf(events: readonly LifecycleEvent[], connectionId: number): LifecycleEvent[] {
  return events.filter((e) => e.connectionId === connectionId);
}

describe.each(HOSTS)('the echo server and client on %s', (host) => {
  it('reports the steps of one connection in order on both sides', async () => {
    const { server, events, port, address } = await startServer(host);
    const result = await echoOnce(host, port, 'hello');
    expect(result.reply, 'the echo').toBe('hello');
    expect(steps(result.events), 'client steps').toEqual([
      'create',
      'connect',
      'send',
      'receive',
      'half-close',
      'close',
    ]);
    expect(result.close).toMatchObject({ step: 'close', clean: true, reason: 'normal' });

    const serverClose = await untilEvent(
      server,
      events,
      'the server end to close',
      (e) => e.step === 'close' && e.connectionId === 1,
    );
    expect(serverClose).toMatchObject({ clean: true, reason: 'normal' });
    expect(steps(eventsOf(events, 0)), 'listening socket steps').toEqual([
      'create',
      'bind',
      'listen',
    ]);
    expect(eventsOf(events, 0)[2]).toMatchObject({ local: address });
    expect(steps(eventsOf(events, 1)), 'server connection steps').toEqual([
      'accept',
      'receive',
      'send',
      'half-close',
      'close',
    ]);
    const halfCloses = eventsOf(events, 1).filter((e) => e.step === 'half-close');
    expect(halfCloses.map((e) => (e.step === 'half-close' ? e.by : ''))).toEqual(['peer', 'local']);
    const sent = result.events.find((e) => e.step === 'send');
    const received = eventsOf(events, 1).filter((e) => e.step === 'receive');
    expect(sent?.step === 'send' && sent.bytes, 'bytes the client sent').toBe(6);
    expect(received.reduce((n, e) => n + (e.step === 'receive' ? e.bytes : 0), 0)).toBe(6);
  });

  it('stamps every event with the injected clock, in order', async () => {
    let now = 1_000;
    const clock = (): number => now++;
    const { server, events, port } = await startServer(host, { clock });
    const result = await echoOnce(host, port, 'tick', { clock });
    await untilEvent(server, events, 'the server end to close', (e) => e.step === 'close');
    for (const list of [events, result.events]) {
      const times = list.map((e) => e.at);
      expect(times.every((t, i) => i === 0 || t > (times[i - 1] as number))).toBe(true);
      expect(times.every((t) => Number.isInteger(t) && t >= 1_000 && t < now)).toBe(true);
    }
    // One shared clock: the two logs interleave into one strictly increasing timeline.
    const all = [...events, ...result.events].map((e) => e.at);
    expect(new Set(all).size).toBe(all.length);
  });

  it('reports 5-tuples that match the sockets’ own addresses', async () => {
    const { server, events, port } = await startServer(host);
    const socket = await connectTcp(port, host);
    onTestFinished(() => {
      socket.destroy();
    });
    const accept = await untilEvent(server, events, 'the accept', (e) => e.step === 'accept');
    const clientTuple = fiveTuple(socket);
    const local = socket.address() as net.AddressInfo;
    expect(clientTuple).toEqual({
      protocol: 'tcp',
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: host,
      remotePort: port,
    });
    expect(accept.tuple, 'the server sees the mirror image').toEqual({
      protocol: 'tcp',
      localAddress: clientTuple.remoteAddress,
      localPort: clientTuple.remotePort,
      remoteAddress: clientTuple.localAddress,
      remotePort: clientTuple.localPort,
    });

    const client = await connectClient(host, port, { recordEvents: true });
    const connect = client.events.find((e) => e.step === 'connect');
    expect(connect?.tuple).toEqual(client.tuple);
    expect(client.tuple?.remotePort).toBe(port);
    await client.echo('x');
    expect(
      client.events.filter((e) => e.step !== 'create').every((e) => e.tuple === client.tuple),
    ).toBe(true);
  });

  it('serves 50 clients at once', async () => {
    const { server, events, port } = await startServer(host);
    const clients = await Promise.all(Array.from({ length: 50 }, () => connectClient(host, port)));
    await untilEvent(
      server,
      events,
      '50 accepts',
      () => events.filter((e) => e.step === 'accept').length === 50,
    );
    expect(server.connectionCount).toBe(50);
    const replies = await Promise.all(clients.map((c, i) => c.echo(`client ${i} says hi`)));
    expect(replies).toEqual(clients.map((_, i) => `client ${i} says hi`));
    const closes = await Promise.all(clients.map((c) => c.end()));
    expect(closes.every((c) => c.clean)).toBe(true);
    await untilEvent(
      server,
      events,
      'all 50 to close',
      () => events.filter((e) => e.step === 'close' && e.connectionId > 0).length === 50,
    );
    expect(server.connectionCount).toBe(0);
  });

  it('echoes lines split across writes, and many lines in one write, in order', async () => {
    const { port } = await startServer(host);
    const socket = await connectTcp(port, host);
    onTestFinished(() => {
      socket.destroy();
    });
    let received = '';
    socket.setEncoding('utf8').on('data', (text: string) => {
      received += text;
    });
    socket.write('hel');
    socket.write('lo\nsecond\nthi');
    socket.end('rd\nno newline');
    await withTimeout(once(socket, 'end'), 'the server to finish');
    expect(received).toBe('hello\nsecond\nthird\nno newline');
  });

  it('drops a client whose line is too long and keeps serving another', async () => {
    const { server, events, port } = await startServer(host, { maxLineBytes: 64 });
    const good = await connectClient(host, port);
    expect(await good.echo('before')).toBe('before');

    const hostile = net.connect({ host, port });
    onTestFinished(() => {
      hostile.destroy();
    });
    hostile.on('error', () => {}); // It may be reset: that is the point.
    let heard = '';
    hostile.setEncoding('latin1').on('data', (text: string) => {
      heard += text;
    });
    const hostileClosed = new Promise((resolve) => hostile.once('close', resolve));
    await withTimeout(once(hostile, 'connect'), 'the hostile client to connect');
    const hostilePort = hostile.localPort;
    // A never-ending line: keep writing until the server hangs up (bounded).
    for (let i = 0; i < 64 && !hostile.destroyed; i++) hostile.write(Buffer.alloc(1024, 0x78));
    const dropped = await untilClosedFrom(
      server,
      events,
      hostilePort,
      'the hostile client to be dropped',
    );
    expect(dropped).toMatchObject({ clean: false, reason: 'line-too-long' });
    expect((dropped as CloseEvent).error).toBeInstanceOf(BasicsError);
    expect((dropped as CloseEvent).error).toMatchObject({ code: 'BASICS_ERR_LIMIT_EXCEEDED' });
    expect((dropped as CloseEvent).error?.message).toMatch(/longer than maxLineBytes \(64 bytes\)/);
    await withTimeout(hostileClosed, 'the hostile socket to close');
    expect(heard, 'what the hostile client was told').toBe('ERR line too long: max 64 bytes\n');

    expect(await good.echo('after'), 'the well-behaved client is still served').toBe('after');
    expect(server.connectionCount).toBe(1);
  });

  it('tells a client whose line is too long why, then closes the connection', async () => {
    const { port } = await startServer(host, { maxLineBytes: 8 });
    const client = await WireClient.connect(host, port);
    onTestFinished(() => client.close());
    await client.send('ok\n0123456789\nnever echoed\n');
    expect(await client.readLine(), 'the line before the long one').toBe('ok');
    expect(await client.readLine(), 'the reason').toBe('ERR line too long: max 8 bytes');
    expect((await client.readToEnd()).length, 'nothing after it but FIN').toBe(0);
  });

  it('stops reading from a client that floods without reading, and keeps serving others', async () => {
    // The server's own socket for the flooder, to look at what it holds in memory.
    const createServer = vi.spyOn(net, 'createServer');
    onTestFinished(() => createServer.mockRestore());
    const { server, events, port } = await startServer(host);
    const listener = createServer.mock.results[0]?.value as net.Server;
    const accepted = nextEvent<[net.Socket]>(listener, 'connection');
    const flooder = net.connect({ host, port });
    onTestFinished(() => {
      flooder.destroy();
    });
    flooder.on('error', () => {});
    await withTimeout(once(flooder, 'connect'), 'the flooder to connect');
    flooder.pause(); // Never reads its echoes.
    const [serverSide] = await accepted;
    let mostHeld = 0;
    server.on('lifecycle', (event) => {
      if (event.step === 'receive' && event.connectionId === 1) {
        mostHeld = Math.max(mostHeld, serverSide.writableLength + serverSide.readableLength);
      }
    });
    // 32 MiB, far more than the kernel buffers of both directions hold (Linux grants a few MiB),
    // so the echoes must back up. One buffer written many times: the flooder holds references.
    const lines = Buffer.alloc(64 * 1024, 'flood\n');
    const flood = 512 * lines.length;
    for (let i = 0; i < 512; i++) flooder.write(lines);
    await pollUntil(
      () => serverSide.isPaused() && serverSide.writableNeedDrain,
      'the server to stop reading from the flooder while its echoes wait',
      { ms: 10_000, intervalMs: 20 },
    );
    const bound = 512 * 1024; // A read chunk and a write buffer, with room to spare.
    expect(serverSide.bytesRead, 'the server did not swallow the flood').toBeLessThan(flood / 2);
    expect(mostHeld, 'bytes the server held for the flooder at worst').toBeLessThan(bound);

    const good = await connectClient(host, port);
    expect(await good.echo('still here'), 'another client is served meanwhile').toBe('still here');
    expect(serverSide.isPaused(), 'the flooder is still not read').toBe(true);
    expect(serverSide.writableLength + serverSide.readableLength).toBeLessThan(bound);
    expect(eventsOf(events, 1).some((e) => e.step === 'close')).toBe(false);
  });

  it('survives a client that resets its connection', async () => {
    const { server, events, port } = await startServer(host);
    const rude = await connectTcp(port, host);
    rude.on('error', () => {});
    const rudePort = rude.localPort;
    await untilEvent(server, events, 'the accept', (e) => e.step === 'accept');
    rude.write('half a li');
    await untilEvent(server, events, 'the bytes to arrive', (e) => e.step === 'receive');
    rude.resetAndDestroy();
    const closed = await untilClosedFrom(server, events, rudePort, 'the reset connection to close');
    expect(closed).toMatchObject({ clean: false, reason: 'error' });
    const errorEvent = events.find(eventFrom(rudePort, 'error'));
    expect(errorEvent).toMatchObject({ code: 'ECONNRESET' });
    expect((await echoOnce(host, port, 'next')).reply).toBe('next');
  });

  it('drops newcomers beyond maxConnections and keeps the others', async () => {
    const { server, events, port } = await startServer(host, { maxConnections: 2 });
    const first = await connectClient(host, port);
    const second = await connectClient(host, port);
    const third = await connectTcp(port, host);
    onTestFinished(() => {
      third.destroy();
    });
    third.on('error', () => {});
    const thirdPort = third.localPort;
    const dropped = await untilClosedFrom(server, events, thirdPort, 'the third to be dropped');
    expect(dropped).toMatchObject({ clean: false, reason: 'too-many-connections' });
    await withTimeout(once(third, 'close'), 'the third socket to close');
    expect(await first.echo('one')).toBe('one');
    expect(await second.echo('two')).toBe('two');
  });

  it('closes gracefully: refuses newcomers, flushes echoes due, then FIN', async () => {
    const { server, events, port } = await startServer(host);
    const client = await connectClient(host, port, { recordEvents: true });
    const reply = client.echo('last words');
    await untilEvent(server, events, 'the last line to arrive', (e) => e.step === 'receive');
    const closing = server.close();
    expect(await reply, 'the echo already due is delivered').toBe('last words');
    const clientClose = await withTimeout(client.closed, 'the client to be closed');
    expect(clientClose).toMatchObject({ clean: true, reason: 'normal' });
    expect(client.events.find((e) => e.step === 'half-close')).toMatchObject({ by: 'peer' });
    await withTimeout(closing, 'close() to resolve');
    const serverEnd = eventsOf(events, 1).at(-1);
    expect(serverEnd).toMatchObject({ step: 'close', clean: true, reason: 'server-shutdown' });
    expect(eventsOf(events, 0).at(-1)).toMatchObject({ step: 'close', reason: 'server-shutdown' });
    await expect(connectEchoClient(host, port)).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
      cause: { code: 'ECONNREFUSED' },
    });
    expect(await server.close(), 'close() again is harmless').toBeUndefined();
  });

  it('destroys a connection that does not finish within closeTimeoutMs', async () => {
    const { server, events, port } = await startServer(host, { closeTimeoutMs: 50 });
    // allowHalfOpen: this client never answers the server's FIN with its own.
    const stubborn = net.connect({ host, port, allowHalfOpen: true });
    onTestFinished(() => {
      stubborn.destroy();
    });
    stubborn.on('error', () => {});
    await withTimeout(once(stubborn, 'connect'), 'the stubborn client to connect');
    await untilEvent(server, events, 'the accept', (e) => e.step === 'accept');
    await withTimeout(server.close(), 'close() to resolve after the bound');
    expect(eventsOf(events, 1).at(-1)).toMatchObject({
      step: 'close',
      clean: false,
      reason: 'shutdown-timeout',
    });
  });
});

/** Collects client events and waits, bounded, for one that matches. */
function recorder() {
  const seen: LifecycleEvent[] = [];
  const waiting: Array<{ matches: (e: LifecycleEvent) => boolean; resolve: () => void }> = [];
  return {
    seen,
    onEvent(event: LifecycleEvent): void {
      seen.push(event);
      for (const w of waiting) if (w.matches(event)) w.resolve();
    },
    until(what: string, matches: (e: LifecycleEvent) => boolean): Promise<void> {
      if (seen.some(matches)) return Promise.resolve();
      return withTimeout(new Promise<void>((resolve) => waiting.push({ matches, resolve })), what);
    },
  };
}

describe('the echo client on its own', () => {
  it('rejects with BASICS_ERR_CONNECTION when nothing listens, and reports it', async () => {
    const port = await freePort();
    const { seen, onEvent, until } = recorder();
    const attempt = echoOnce('127.0.0.1', port, 'anyone?', { onEvent });
    await expect(attempt).rejects.toBeInstanceOf(BasicsError);
    await expect(attempt).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
      message: expect.stringMatching(/could not connect to 127\.0\.0\.1:\d+: ECONNREFUSED/),
      cause: { code: 'ECONNREFUSED' },
    });
    await until('the close event', (e) => e.step === 'close');
    expect(steps(seen)).toEqual(['create', 'error', 'close']);
    expect(seen.at(-1)).toMatchObject({ clean: false, reason: 'error' });
  });

  it('rejects with BASICS_ERR_DNS for a name that resolves nowhere', async () => {
    await expect(echoOnce('nonexistent.invalid', 7, 'x')).rejects.toMatchObject({
      code: 'BASICS_ERR_DNS',
      message: expect.stringContaining('could not connect to nonexistent.invalid:7'),
      cause: { syscall: 'getaddrinfo' },
    });
  });

  it('times out when the server never replies', async () => {
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    const { port } = await listenOnFreePort(silent);
    onTestFinished(() => closeServer(silent, sockets));
    const { seen, onEvent, until } = recorder();
    await expect(
      echoOnce('127.0.0.1', port, 'hello?', { timeoutMs: 100, onEvent }),
    ).rejects.toMatchObject({
      code: 'BASICS_ERR_TIMEOUT',
      message: /no reply to "hello\?" within 100 ms/,
    });
    await until('the close event', (e) => e.step === 'close');
    expect(seen.find((e) => e.step === 'close')).toMatchObject({ clean: false, reason: 'timeout' });
  });

  it('rejects a reply longer than maxReplyBytes', async () => {
    const chatty = net.createServer((s) => s.end(`${'x'.repeat(100)}\n`).resume());
    const { port } = await listenOnFreePort(chatty);
    onTestFinished(() => closeServer(chatty));
    await expect(echoOnce('127.0.0.1', port, 'hi', { maxReplyBytes: 10 })).rejects.toMatchObject({
      code: 'BASICS_ERR_LIMIT_EXCEEDED',
    });
  });

  it('rejects when the server hangs up before replying', async () => {
    const rude = net.createServer((s) => s.end('partial').resume());
    const { port } = await listenOnFreePort(rude);
    onTestFinished(() => closeServer(rude));
    await expect(echoOnce('127.0.0.1', port, 'hi')).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
      message: /closed the connection before replying \(an unfinished line: "partial"\)/,
    });
  });

  it('refuses to connect the same client twice', async () => {
    const { port } = await startServer('127.0.0.1');
    const client = await connectClient('127.0.0.1', port);
    await expect(client.connect('127.0.0.1', port)).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
    });
    expect(await client.echo('still fine')).toBe('still fine');
  });

  it('refuses to echo once the connection is closing', async () => {
    const { port } = await startServer('127.0.0.1');
    const client = await connectClient('127.0.0.1', port);
    const ending = client.end();
    await expect(client.echo('too late')).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
      message: /the connection is closing/,
    });
    await ending;
  });

  it('matches overlapping requests to replies in order, and strips a CR', async () => {
    const crlf = net.createServer((s) =>
      s.on('data', (d) => s.write(d.toString().replace(/\n/g, '\r\n'))),
    );
    const sockets = new Set<net.Socket>();
    crlf.on('connection', (s) => sockets.add(s));
    const { port } = await listenOnFreePort(crlf);
    onTestFinished(() => closeServer(crlf, sockets));
    const client = await connectClient('127.0.0.1', port);
    expect(await Promise.all(['a', 'b', 'c'].map((line) => client.echo(line)))).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

describe('options are checked at once', () => {
  it.each<[string, EchoServerOptions, ErrorConstructor]>([
    ['a port above 65535', { port: 65_536 }, RangeError],
    ['a negative port', { port: -1 }, RangeError],
    ['a fractional port', { port: 1.5 }, TypeError],
    ['a port that is a string', { port: '80' as unknown as number }, TypeError],
    ['an empty host', { host: '' }, TypeError],
    ['a host with a NUL byte', { host: '127.0.0.1\u0000evil' }, TypeError],
    ['an absurdly long host', { host: 'a'.repeat(10_000) }, TypeError],
    ['zero maxConnections', { maxConnections: 0 }, RangeError],
    ['zero maxLineBytes', { maxLineBytes: 0 }, RangeError],
    ['a huge maxLineBytes', { maxLineBytes: 2 ** 40 }, RangeError],
    ['a negative closeTimeoutMs', { closeTimeoutMs: -1 }, RangeError],
    ['a clock that is not a function', { clock: 5 as unknown as () => number }, TypeError],
    ['an unknown schedule', { schedule: 'fast' as 'serial' }, TypeError],
  ])('createEchoServer rejects %s', (_, options, type) => {
    expect(() => createEchoServer(options)).toThrow(type);
  });

  it.each<[string, () => unknown, ErrorConstructor]>([
    ['port 0', () => echoOnce('127.0.0.1', 0, 'x'), RangeError],
    ['a port above 65535', () => echoOnce('127.0.0.1', 70_000, 'x'), RangeError],
    ['an empty host', () => echoOnce('', 7, 'x'), TypeError],
    ['a message with a newline', () => echoOnce('127.0.0.1', 7, 'a\nb'), TypeError],
    [
      'a message that is not a string',
      () => echoOnce('127.0.0.1', 7, 42 as unknown as string),
      TypeError,
    ],
    [
      'a message over maxReplyBytes',
      () => echoOnce('127.0.0.1', 7, 'abc', { maxReplyBytes: 2 }),
      RangeError,
    ],
    ['a zero timeout', () => echoOnce('127.0.0.1', 7, 'x', { timeoutMs: 0 }), RangeError],
    [
      'an onEvent that is not a function',
      () => connectEchoClient('127.0.0.1', 7, { onEvent: 1 as never }),
      TypeError,
    ],
    [
      'a recordEvents that is not a boolean',
      () => connectEchoClient('127.0.0.1', 7, { recordEvents: 'yes' as never }),
      TypeError,
    ],
  ])('the client rejects %s synchronously', (_, call, type) => {
    expect(call).toThrow(type);
  });

  it('close() right after listen() leaves nothing listening', async () => {
    const server = createEchoServer({ host: '127.0.0.1' });
    const listening = server.listen();
    await withTimeout(server.close(), 'close() to resolve');
    const { port } = await listening;
    await expect(echoOnce('127.0.0.1', port, 'x')).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
    });
    await expect(server.listen(), 'a closed server does not listen again').rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
    });
  });

  it('listen() rejects with BASICS_ERR_DNS for a host name that resolves nowhere', async () => {
    const server = createEchoServer({ host: 'nonexistent.invalid' });
    await expect(server.listen()).rejects.toMatchObject({ code: 'BASICS_ERR_DNS' });
    await server.close();
  });

  it('listen() rejects with BASICS_ERR_CONNECTION when the port is taken', async () => {
    const { port } = await startServer('127.0.0.1');
    const second = createEchoServer({ host: '127.0.0.1', port });
    const errors: LifecycleEvent[] = [];
    second.on('lifecycle', (e) => errors.push(e));
    await expect(second.listen()).rejects.toMatchObject({
      code: 'BASICS_ERR_CONNECTION',
      message: expect.stringContaining('EADDRINUSE'),
      cause: { code: 'EADDRINUSE' },
    });
    expect(errors).toMatchObject([{ step: 'error', code: 'EADDRINUSE', connectionId: 0 }]);
    await second.close();
  });
});
