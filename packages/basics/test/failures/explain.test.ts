import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  closeServer,
  freePort,
  listenTestServer,
  nextEvent,
  pollUntil,
  rejectionOf,
  withTimeout,
} from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { DnsError, lookupHost } from '../../src/dns/index.ts';
import { BASICS_ERROR_CODES, BasicsError } from '../../src/errors.ts';
import {
  connectWithTimeout,
  countOpenSockets,
  type Explanation,
  explainSocketError,
  formatExplanation,
  LIBRARY_FAILURES,
  readWithTimeout,
  SYSTEM_FAILURES,
} from '../../src/failures/explain.ts';

type SystemError = Error & {
  code: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
};

/** An error shaped like Node's own system errors. Only for codes loopback cannot produce. */
function systemError(
  code: string,
  syscall: string,
  where: { address?: string; port?: number; hostname?: string } = {},
) {
  const at = where.address
    ? ` ${where.address}${where.port === undefined ? '' : `:${where.port}`}`
    : '';
  return Object.assign(new Error(`${syscall} ${code}${at}`), {
    code,
    errno: -1,
    syscall,
    ...where,
  }) as SystemError;
}

/** Opens a client socket, destroyed when the test ends. */
function connect(port: number, options: Partial<net.NetConnectOpts> = {}): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port, ...options } as net.NetConnectOpts);
  onTestFinished(() => {
    socket.destroy();
  });
  return socket;
}

/** The error a new server gets listening on 127.0.0.1:`port` (it is closed when the test ends). */
async function listenError(port: number, what: string): Promise<SystemError> {
  const server = net.createServer();
  onTestFinished(() => closeServer(server));
  server.listen(port, '127.0.0.1');
  return nextError(server, what);
}

/** A client that has said hello to a server which resets each connection on its first bytes. */
async function helloToResettingServer(): Promise<net.Socket> {
  const { port } = await listenTestServer((socket) =>
    socket.once('data', () => socket.resetAndDestroy()),
  );
  const client = connect(port);
  await withTimeout(nextEvent(client, 'connect'), 'connect');
  client.write('hello\n');
  return client;
}

async function nextError(emitter: net.Socket | net.Server, what: string): Promise<SystemError> {
  const [err] = await withTimeout(nextEvent<[SystemError]>(emitter, 'error'), what);
  return err;
}

function expectUseful(explanation: Explanation): void {
  expect(explanation.title.length).toBeGreaterThan(3);
  expect(explanation.what.length).toBeGreaterThan(10);
  expect(explanation.likelyCauses.length).toBeGreaterThan(0);
  expect(explanation.nextSteps.length).toBeGreaterThan(0);
}

describe('countOpenSockets (the socket-leak detector)', () => {
  it('watches a leak grow by N and shrink back when the sockets close', async () => {
    const N = 20;
    const { port, sockets } = await listenTestServer();
    const baseline = countOpenSockets();
    const clients = Array.from({ length: N }, () => connect(port));
    await withTimeout(Promise.all(clients.map((c) => nextEvent(c, 'connect'))), `${N} connections`);
    // Each connection is two sockets in this process: the client's and the one the server accepted.
    await pollUntil(
      () => countOpenSockets() === baseline + 2 * N,
      `${2 * N} more open sockets than ${baseline}`,
    );
    expect(sockets.size).toBe(N);
    for (const client of clients) client.destroy();
    await pollUntil(() => countOpenSockets() === baseline, `the count to come back to ${baseline}`);
  });

  it('counts only socket:[inode] links', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fd-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const links = [
      'socket:[1234]',
      'pipe:[55]',
      '/dev/null',
      'anon_inode:[eventpoll]',
      'socket:[99]',
    ];
    links.forEach((target, fd) => {
      symlinkSync(target, path.join(dir, String(fd)));
    });
    expect(countOpenSockets({ fdDir: dir, platform: 'linux' })).toBe(2);
  });

  it('refuses clearly on a platform without /proc', () => {
    expect(() => countOpenSockets({ platform: 'darwin' })).toThrowError(
      expect.objectContaining({
        code: 'BASICS_ERR_UNSUPPORTED_PLATFORM',
        message: expect.stringContaining('lsof -p'),
      }),
    );
  });

  it('refuses clearly when the descriptor directory cannot be read', () => {
    const attempt = () => countOpenSockets({ fdDir: '/nonexistent/fd', platform: 'linux' });
    expect(attempt).toThrowError(
      expect.objectContaining({ code: 'BASICS_ERR_UNSUPPORTED_PLATFORM' }),
    );
    expect(attempt).toThrowError(/is \/proc mounted/);
  });
});

describe('failures caused for real on loopback', () => {
  it('explains ECONNREFUSED from connecting to a port that just closed', async () => {
    const port = await freePort();
    const err = await nextError(connect(port), 'connection refusal');
    expect(err.code).toBe('ECONNREFUSED');
    const explanation = explainSocketError(err);
    expect(explanation).toMatchObject({
      code: 'ECONNREFUSED',
      title: 'connection refused',
      side: 'server',
      retryable: true,
      syscall: 'connect',
      address: '127.0.0.1',
      port,
    });
    expect(explanation.what).toContain(`127.0.0.1:${port}`);
    expect(explanation.nextSteps.join(' ')).toContain('ss -ltnp');
    expect(formatExplanation(explanation).split('\n')[0]).toBe(
      `ECONNREFUSED: connection refused (connect 127.0.0.1:${port})`,
    );
  });

  it('explains EADDRINUSE from listening twice on one port', async () => {
    const { port } = await listenTestServer();
    const err = await listenError(port, 'the second listen to fail');
    expect(err.code).toBe('EADDRINUSE');
    expect(explainSocketError(err)).toMatchObject({
      code: 'EADDRINUSE',
      side: 'server',
      retryable: false,
      syscall: 'listen',
      address: '127.0.0.1',
      port,
    });
    expect(explainSocketError(err).what).toContain(`Cannot listen on 127.0.0.1:${port}`);
  });

  it('explains ECONNRESET when the server resets while the client waits to read', async () => {
    const client = await helloToResettingServer();
    const err = await nextError(client, 'the reset');
    expect(err.code).toBe('ECONNRESET');
    expect(explainSocketError(err)).toMatchObject({
      code: 'ECONNRESET',
      title: 'connection reset by peer',
      side: 'either',
      retryable: true,
    });
  });

  it('wraps a reset met by readWithTimeout, and still explains the cause', async () => {
    const client = await helloToResettingServer();
    const err = await rejectionOf(readWithTimeout(client, 5_000), 'a read ended by a reset');
    expect(err).toBeInstanceOf(BasicsError);
    expect(err).toMatchObject({ code: 'BASICS_ERR_CONNECTION', cause: { code: 'ECONNRESET' } });
    expect(explainSocketError(err).code).toBe('ECONNRESET');
  });

  it.each([
    ['closes', (socket: net.Socket) => socket.destroy()],
    ['resets', (socket: net.Socket) => socket.resetAndDestroy()],
  ])('explains EPIPE or ECONNRESET from writing after the peer %s', async (_, hangUp) => {
    const { port } = await listenTestServer((socket) => socket.once('data', () => hangUp(socket)));
    const client = connect(port, { allowHalfOpen: true });
    client.on('data', () => {});
    const failure = nextError(client, 'a write to fail');
    await withTimeout(nextEvent(client, 'connect'), 'connect');
    client.write('hello\n');
    // Keep writing (bounded) until the kernel refuses: the first write after a close may still be
    // accepted locally; the peer answers it with RST, and the next one fails.
    for (let i = 0; i < 200 && !client.destroyed; i++) {
      await new Promise<void>((resolve) => client.write(Buffer.alloc(1024), () => resolve()));
    }
    const err = await failure;
    expect(['EPIPE', 'ECONNRESET']).toContain(err.code);
    const explanation = explainSocketError(err);
    expect(explanation.code).toBe(err.code);
    expect(explanation.side).toBe('either');
    expectUseful(explanation);
    if (err.code === 'EPIPE') expect(explanation.what).toContain('already closed');
    else expect(explanation.what).toContain('reset (RST)');
  });

  it('explains ENOTFOUND from connecting to nonexistent.invalid (no packet leaves the machine but DNS)', async () => {
    const socket = net.connect({ host: 'nonexistent.invalid', port: 9 });
    onTestFinished(() => {
      socket.destroy();
    });
    const err = await nextError(socket, 'the lookup to fail');
    expect(err.code).toBe('ENOTFOUND');
    const explanation = explainSocketError(err);
    expect(explanation).toMatchObject({
      code: 'ENOTFOUND',
      side: 'client',
      retryable: false,
      syscall: 'getaddrinfo',
      hostname: 'nonexistent.invalid',
    });
    expect(explanation.what).toContain('The name nonexistent.invalid was not found');
  });

  it('explains a DnsError from lookupHost through its ENOTFOUND cause', async () => {
    const err = await rejectionOf(
      lookupHost('nonexistent.invalid', { timeoutMs: 4_000 }),
      'the lookup',
    );
    expect(err).toBeInstanceOf(DnsError);
    expect(explainSocketError(err)).toMatchObject({
      code: 'ENOTFOUND',
      hostname: 'nonexistent.invalid',
    });
  });

  it('shows our own BASICS_ERR_TIMEOUT from an idle read (a real ETIMEDOUT needs a network that drops packets)', async () => {
    const { port } = await listenTestServer(); // accepts, never sends
    const client = connect(port);
    await withTimeout(nextEvent(client, 'connect'), 'connect');
    const err = await rejectionOf(readWithTimeout(client, 100), 'a read from a silent server');
    expect(err).toBeInstanceOf(BasicsError);
    expect(err).toMatchObject({ code: 'BASICS_ERR_TIMEOUT' });
    expect((err as Error).message).toBe(
      `nothing arrived from 127.0.0.1:${port} within 100 ms: it is connected but silent (the socket is still open)`,
    );
    expect(client.destroyed, 'an idle timeout leaves the socket open').toBe(false);
    const explanation = explainSocketError(err);
    expect(explanation).toMatchObject({
      code: 'BASICS_ERR_TIMEOUT',
      side: 'either',
      retryable: true,
    });
    expect(explanation.what).toBe((err as Error).message);
  });

  it('reads the next chunk, then null at the end of the stream', async () => {
    const { port } = await listenTestServer((socket) => socket.end('hi'));
    const client = connect(port);
    expect((await readWithTimeout(client, 5_000))?.toString()).toBe('hi');
    expect(await readWithTimeout(client, 5_000)).toBeNull();
  });
});

/** Whether this process may bind `port` on Linux: CAP_NET_BIND_SERVICE, or the port is unprivileged. */
function mayBindLowPort(port: number): boolean {
  if (process.platform === 'darwin') return true; // macOS dropped the restriction in 10.14
  if (process.platform !== 'linux') return process.getuid?.() === 0;
  const capEff =
    /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const CAP_NET_BIND_SERVICE = 10n;
  if ((BigInt(`0x${capEff}`) >> CAP_NET_BIND_SERVICE) & 1n) return true;
  const start = Number(
    readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim(),
  );
  return port >= start;
}

/** Listens on 127.0.0.1:`port`; resolves 'listening' or the error code. */
function listenOutcome(server: net.Server, port: number): Promise<string> {
  const outcome = new Promise<string>((resolve) => {
    const onError = (err: SystemError): void => {
      server.off('listening', onListening);
      resolve(err.code);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve('listening');
    };
    server.once('error', onError).once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
  return withTimeout(outcome, `listen on ${port}`);
}

describe('EACCES (binding a privileged port)', () => {
  it.runIf(!mayBindLowPort(80))(
    'fails with EACCES binding port 80 without the privilege',
    async () => {
      const err = await listenError(80, 'the bind to be refused');
      expect(err.code).toBe('EACCES');
      expect(explainSocketError(err)).toMatchObject({
        code: 'EACCES',
        side: 'server',
        retryable: false,
        port: 80,
      });
    },
  );

  it.runIf(mayBindLowPort(80))(
    'binds a port below 1024 when privileged (root or CAP_NET_BIND_SERVICE)',
    async () => {
      // Privileged here, so EACCES cannot be caused: prove the privilege instead, on a free low port.
      const server = net.createServer();
      onTestFinished(() => closeServer(server));
      let bound: number | undefined;
      for (const port of [1023, 1022, 1021, 1011, 1001, 999, 989, 979, 969, 959]) {
        const outcome = await listenOutcome(server, port);
        if (outcome === 'listening') {
          bound = port;
          break;
        }
        expect(outcome, 'a privileged bind may only fail because the port is taken').toBe(
          'EADDRINUSE',
        );
      }
      expect(bound, 'one of ten low ports should be free').toBeDefined();
      expect(bound).toBeLessThan(1024);
      expect(server.address()).toMatchObject({ port: bound });
    },
  );

  it('explains EACCES on a constructed error (what an unprivileged bind of port 80 raises)', () => {
    const explanation = explainSocketError(
      systemError('EACCES', 'listen', { address: '0.0.0.0', port: 80 }),
    );
    expect(explanation).toMatchObject({
      code: 'EACCES',
      title: 'permission denied',
      side: 'server',
      retryable: false,
    });
    expect(explanation.what).toContain('Not allowed to bind 0.0.0.0:80');
    expect(explanation.nextSteps.join(' ')).toContain('cap_net_bind_service');
  });
});

describe('failures explained from constructed errors (never caused: they need another network)', () => {
  it.each<
    [string, string, { address?: string; port?: number; hostname?: string }, Partial<Explanation>]
  >([
    [
      'ETIMEDOUT',
      'connect',
      { address: '192.0.2.1', port: 80 },
      { side: 'either', retryable: true, title: 'timed out' },
    ],
    [
      'EHOSTUNREACH',
      'connect',
      { address: '192.0.2.1', port: 80 },
      { side: 'client', retryable: true },
    ],
    [
      'ENETUNREACH',
      'connect',
      { address: '2001:db8::1', port: 443 },
      { side: 'client', retryable: false },
    ],
    [
      'EADDRNOTAVAIL',
      'listen',
      { address: '192.0.2.1', port: 8080 },
      { side: 'either', retryable: false },
    ],
    ['ECONNABORTED', 'accept', {}, { side: 'either', retryable: true }],
    ['EMFILE', 'accept', {}, { side: 'either', retryable: false, title: 'too many open files' }],
    ['EAI_AGAIN', 'getaddrinfo', { hostname: 'example.com' }, { side: 'client', retryable: true }],
  ])('explains %s', (code, syscall, where, expected) => {
    const explanation = explainSocketError(systemError(code, syscall, where));
    expect(explanation).toMatchObject({ code, syscall, ...expected, ...where });
    expectUseful(explanation);
    if (where.address !== undefined) {
      const host = where.address.includes(':') ? `[${where.address}]` : where.address;
      expect(explanation.what).toContain(`${host}:${where.port}`);
    }
    if (where.hostname !== undefined) expect(explanation.what).toContain(where.hostname);
  });

  it('points at countOpenSockets for EMFILE, a socket leak', () => {
    expect(explainSocketError(systemError('EMFILE', 'accept')).nextSteps.join(' ')).toContain(
      'countOpenSockets()',
    );
  });

  it.each(Object.keys(SYSTEM_FAILURES))('has a complete entry for %s', (code) => {
    const explanation = explainSocketError(systemError(code, 'connect'));
    expect(explanation.code).toBe(code);
    expectUseful(explanation);
  });
});

describe('our own error codes', () => {
  it.each(BASICS_ERROR_CODES)('explains %s with its own message', (code) => {
    expect(Object.keys(LIBRARY_FAILURES)).toContain(code);
    const explanation = explainSocketError(new BasicsError(code, `something about ${code}`));
    expect(explanation.code).toBe(code);
    expect(explanation.what).toBe(`something about ${code}`);
    expectUseful(explanation);
  });

  it('explains a wrapped connection error by its cause', () => {
    const cause = systemError('ECONNREFUSED', 'connect', { address: '127.0.0.1', port: 1 });
    const err = new BasicsError('BASICS_ERR_CONNECTION', 'could not connect', { cause });
    expect(explainSocketError(err)).toMatchObject({ code: 'ECONNREFUSED', port: 1 });
  });

  it.each([
    ['timeout', true],
    ['temporary-failure', true],
    ['not-found', false],
    ['invalid-name', false],
  ] as const)('marks a DnsError with reason %s as retryable: %s', (reason, retryable) => {
    const err = new DnsError(
      { reason, hostname: 'x.test', method: 'resolve' },
      'could not resolve',
    );
    expect(explainSocketError(err)).toMatchObject({ code: 'BASICS_ERR_DNS', retryable });
  });
});

describe('errors nobody has explained', () => {
  it.each([
    ['an Error', new Error('x'.repeat(100_000))],
    ['an error-like object', { message: 'y'.repeat(100_000) }],
  ])('cuts a peer-sized message from %s to 300 characters', (_, err) => {
    const { what } = explainSocketError(err);
    expect(what.length).toBeLessThanOrEqual(301);
    expect(what.endsWith('…')).toBe(true);
  });

  it('keeps an unknown code and the message', () => {
    const explanation = explainSocketError(systemError('EWEIRD', 'connect'));
    expect(explanation).toMatchObject({
      code: 'EWEIRD',
      title: 'unexpected error',
      what: 'connect EWEIRD',
      side: 'either',
      retryable: false,
    });
  });

  it.each([
    ['a string', 'boom', 'a non-error value was thrown: "boom"'],
    ['undefined', undefined, 'a non-error value was thrown: "undefined"'],
    ['null', null, 'a non-error value was thrown: "null"'],
    [
      'an object without a prototype',
      Object.create(null) as unknown,
      'a non-error value was thrown',
    ],
    ['an Error without a message', new Error(), 'Error'],
  ])('explains %s as UNKNOWN', (_, value, what) => {
    expect(explainSocketError(value)).toMatchObject({ code: 'UNKNOWN', what });
  });

  it('finds the code inside an AggregateError (what net.connect raises after trying each address)', () => {
    const err = new AggregateError(
      [systemError('ECONNREFUSED', 'connect', { address: '::1', port: 5 })],
      'all failed',
    );
    expect(explainSocketError(err)).toMatchObject({
      code: 'ECONNREFUSED',
      address: '::1',
      port: 5,
    });
  });

  it('answers even when reading the error throws', () => {
    const hostile = {
      get code(): string {
        throw new Error('gotcha');
      },
    };
    expect(explainSocketError(hostile)).toMatchObject({
      code: 'UNKNOWN',
      what: 'an error that could not be inspected',
    });
  });

  it('stops at a cause cycle', () => {
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;
    expect(explainSocketError(err).code).toBe('UNKNOWN');
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true }), (value) => {
        const explanation = explainSocketError(value);
        expect(typeof explanation.code).toBe('string');
        expect(formatExplanation(explanation).length).toBeGreaterThan(0);
      }),
      { seed: 4_242, numRuns: 500 },
    );
  });
});

describe('formatExplanation', () => {
  it('lays an explanation out for a terminal', () => {
    const text = formatExplanation({
      code: 'EXAMPLE',
      title: 'an example',
      what: 'Something happened.',
      likelyCauses: ['one', 'two'],
      nextSteps: ['first', 'second'],
      side: 'server',
      retryable: false,
      syscall: 'connect',
      address: '::1',
      port: 80,
    });
    expect(text).toBe(
      [
        'EXAMPLE: an example (connect [::1]:80)',
        '  Something happened.',
        '  Look first at: the server. Retrying unchanged will not help.',
        '  Likely causes:',
        '    - one',
        '    - two',
        '  Next steps:',
        '    1. first',
        '    2. second',
      ].join('\n'),
    );
  });
});

describe('connectWithTimeout', () => {
  it('resolves with a connected socket', async () => {
    const { port } = await listenTestServer();
    const socket = await withTimeout(connectWithTimeout('127.0.0.1', port, 2_000), 'connect');
    onTestFinished(() => {
      socket.destroy();
    });
    expect(socket.remotePort).toBe(port);
  });

  it('rejects with BASICS_ERR_CONNECTION caused by ECONNREFUSED on a closed port', async () => {
    const port = await freePort();
    const err = await rejectionOf(
      connectWithTimeout('127.0.0.1', port, 2_000),
      'a refused connect',
    );
    expect(err).toMatchObject({ code: 'BASICS_ERR_CONNECTION', cause: { code: 'ECONNREFUSED' } });
    expect((err as Error).message).toBe(
      `could not connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
  });

  it('rejects with BASICS_ERR_TIMEOUT when its timer fires first, and leaves no connection behind', async () => {
    const { port, sockets } = await listenTestServer();
    // On loopback a connect never hangs, so fake the clock: the timer fires before the event loop
    // can deliver 'connect'.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let pending: Promise<unknown>;
    try {
      pending = rejectionOf(
        connectWithTimeout('127.0.0.1', port, 1_000),
        'a connect that times out',
      );
      vi.advanceTimersByTime(1_000);
    } finally {
      vi.useRealTimers();
    }
    const err = await pending;
    expect(err).toMatchObject({ code: 'BASICS_ERR_TIMEOUT' });
    expect((err as Error).message).toContain(
      `connecting to 127.0.0.1:${port} did not finish within 1000 ms`,
    );
    await pollUntil(() => sockets.size === 0, 'the server to see no connection left');
  });

  it.each<[string, () => unknown, ErrorConstructor]>([
    ['an empty host', () => connectWithTimeout('', 80), TypeError],
    ['port 0', () => connectWithTimeout('127.0.0.1', 0), RangeError],
    ['port 65536', () => connectWithTimeout('127.0.0.1', 65_536), RangeError],
    ['a fractional port', () => connectWithTimeout('127.0.0.1', 80.5), TypeError],
    ['a negative timeout', () => connectWithTimeout('127.0.0.1', 80, -5), RangeError],
    ['a negative read timeout', () => readWithTimeout(new net.Socket(), -5), RangeError],
  ])('throws synchronously for %s', (_, call, type) => {
    expect(call).toThrow(type);
  });
});
