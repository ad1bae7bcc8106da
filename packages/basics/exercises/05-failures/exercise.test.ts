import net from 'node:net';
import {
  closeServer,
  freePort,
  lessonOf,
  listenTestServer,
  loadExercise,
  nextEvent,
  pollUntil,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';

type Exercise = typeof import('./exercise.ts');
const { diagnose, connectWithTimeout } = await loadExercise<Exercise>(import.meta.url);
const lesson = lessonOf(import.meta.url);
const TABLE = lesson.see('The table');
const CAUSES = lesson.see('Errors inside errors');
const TIMEOUT = lesson.see('Timeout:');

type ErrnoError = Error & { code?: string };

function clientTo(port: number, options: { allowHalfOpen?: boolean } = {}): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port, ...options });
  onTestFinished(() => {
    socket.destroy();
  });
  return socket;
}

async function errorOf(emitter: net.Socket | net.Server, what: string): Promise<ErrnoError> {
  const [err] = await withTimeout(nextEvent<[ErrnoError]>(emitter, 'error'), what);
  return err;
}

/** Calls the learner's diagnose and checks the shape of what comes back. */
function diagnosed(err: unknown) {
  const result = diagnose(err);
  expect(result, `diagnose returns { code, side, retryable, advice }. ${TABLE}`).toMatchObject({
    code: expect.any(String),
    side: expect.stringMatching(/^(client|server|either)$/),
    retryable: expect.any(Boolean),
    advice: expect.any(String),
  });
  expect(
    result.advice.trim().length,
    `advice is a sentence a person can act on. ${TABLE}`,
  ).toBeGreaterThan(10);
  return result;
}

function made(code: string, syscall: string): ErrnoError {
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno: -1, syscall });
}

describe('diagnose, on errors made for real on 127.0.0.1', () => {
  it('diagnoses a refused connection: nothing listens on that port', async () => {
    const port = await freePort();
    const err = await errorOf(clientTo(port), 'the connection to be refused');
    expect(err.code, 'the spec made a real ECONNREFUSED').toBe('ECONNREFUSED');
    expect(
      diagnosed(err),
      'ECONNREFUSED: look at the server first; it may come up, so retry',
    ).toMatchObject({
      code: 'ECONNREFUSED',
      side: 'server',
      retryable: true,
    });
  });

  it('diagnoses a reset: the peer aborted the connection', async () => {
    const { port } = await listenTestServer((socket) =>
      socket.once('data', () => socket.resetAndDestroy()),
    );
    const client = clientTo(port);
    await withTimeout(nextEvent(client, 'connect'), 'the connection');
    client.write('hello\n');
    const err = await errorOf(client, 'the reset');
    expect(err.code, 'the spec made a real ECONNRESET').toBe('ECONNRESET');
    expect(
      diagnosed(err),
      'ECONNRESET: either end (or a middlebox); a new connection may work',
    ).toMatchObject({
      code: 'ECONNRESET',
      side: 'either',
      retryable: true,
    });
  });

  it('diagnoses an address in use: a second server on the same port', async () => {
    const { port } = await listenTestServer();
    const second = net.createServer();
    onTestFinished(() => closeServer(second));
    second.listen(port, '127.0.0.1');
    const err = await errorOf(second, 'the second listen to fail');
    expect(err.code, 'the spec made a real EADDRINUSE').toBe('EADDRINUSE');
    expect(
      diagnosed(err),
      `EADDRINUSE: a server problem that retrying will not fix. ${lesson.see('Address in use')}`,
    ).toMatchObject({
      code: 'EADDRINUSE',
      side: 'server',
      retryable: false,
    });
  });

  it('diagnoses writing after the peer closed (EPIPE, or ECONNRESET if the reset wins)', async () => {
    const { port } = await listenTestServer((socket) =>
      socket.once('data', () => socket.destroy()),
    );
    const client = clientTo(port, { allowHalfOpen: true });
    client.on('data', () => {});
    const failure = errorOf(client, 'a write to fail');
    await withTimeout(nextEvent(client, 'connect'), 'the connection');
    client.write('hello\n');
    for (let i = 0; i < 200 && !client.destroyed; i++) {
      await new Promise<void>((resolve) => client.write(Buffer.alloc(1024), () => resolve()));
    }
    const err = await failure;
    expect(['EPIPE', 'ECONNRESET'], 'the spec made a real EPIPE or ECONNRESET').toContain(err.code);
    expect(
      diagnosed(err),
      `${err.code}: either end; a new connection may work. ${lesson.see('Reset')}`,
    ).toMatchObject({
      code: err.code,
      side: 'either',
      retryable: true,
    });
  });

  it('diagnoses a name that does not exist (nonexistent.invalid)', async () => {
    const socket = net.connect({ host: 'nonexistent.invalid', port: 9 });
    onTestFinished(() => {
      socket.destroy();
    });
    const err = await errorOf(socket, 'the lookup to fail');
    expect(err.code, 'the spec made a real ENOTFOUND').toBe('ENOTFOUND');
    expect(
      diagnosed(err),
      'ENOTFOUND: a client mistake; retrying the same name will not help',
    ).toMatchObject({
      code: 'ENOTFOUND',
      side: 'client',
      retryable: false,
    });
  });
});

describe('diagnose, on errors that cannot be made on loopback', () => {
  it.each([
    ['ETIMEDOUT', 'connect', 'either', true],
    ['EACCES', 'listen', 'server', false],
    ['EMFILE', 'accept', 'either', false],
  ] as const)('diagnoses %s', (code, syscall, side, retryable) => {
    expect(diagnosed(made(code, syscall)), `${code}. ${TABLE}`).toMatchObject({
      code,
      side,
      retryable,
    });
  });

  it('diagnoses a timeout error of our own (code BASICS_ERR_TIMEOUT)', () => {
    const err = Object.assign(new Error('connecting took longer than 100 ms'), {
      code: 'BASICS_ERR_TIMEOUT',
    });
    expect(diagnosed(err), `BASICS_ERR_TIMEOUT: either end; retry. ${TIMEOUT}`).toMatchObject({
      code: 'BASICS_ERR_TIMEOUT',
      side: 'either',
      retryable: true,
    });
  });

  it('gives different advice for different failures', () => {
    const refused = diagnosed(made('ECONNREFUSED', 'connect')).advice;
    const inUse = diagnosed(made('EADDRINUSE', 'listen')).advice;
    expect(refused, `ECONNREFUSED and EADDRINUSE need different advice. ${TABLE}`).not.toBe(inUse);
  });

  it('finds the code in the cause of a wrapping error', () => {
    const wrapped = new Error('could not reach the database', {
      cause: made('ECONNREFUSED', 'connect'),
    });
    expect(diagnosed(wrapped).code, `follow err.cause when err has no code. ${CAUSES}`).toBe(
      'ECONNREFUSED',
    );
    const twice = Object.assign(new Error('request failed', { cause: wrapped }), {
      code: 'BASICS_ERR_CONNECTION',
    });
    expect(
      diagnosed(twice).code,
      'an operating-system code deeper down beats a BASICS_ERR_ wrapper',
    ).toBe('ECONNREFUSED');
  });

  it('keeps a code it does not know, with side either and no retry', () => {
    expect(diagnosed(made('EWEIRD', 'connect')), `an unknown code. ${TABLE}`).toMatchObject({
      code: 'EWEIRD',
      side: 'either',
      retryable: false,
    });
  });

  it.each([
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['an Error without a code', new Error('no code here')],
    ['an object with a numeric code', { code: 42 }],
    ['an object without a prototype', Object.create(null)],
  ])('says UNKNOWN for %s, without throwing', (_, value) => {
    expect(diagnosed(value), `no string code anywhere: UNKNOWN. ${CAUSES}`).toMatchObject({
      code: 'UNKNOWN',
      side: 'either',
      retryable: false,
    });
  });

  it('stops following a cause that points back to itself', () => {
    const loop = new Error('loop') as Error & { cause?: unknown };
    loop.cause = loop;
    expect(diagnosed(loop).code, `a cause cycle must not hang. ${CAUSES}`).toBe('UNKNOWN');
  });
});

describe('connectWithTimeout', () => {
  it('resolves with a connected socket', async () => {
    const { port } = await listenTestServer();
    const socket = await withTimeout(
      connectWithTimeout('127.0.0.1', port, 2_000),
      'connectWithTimeout to a listening server',
    );
    onTestFinished(() => {
      socket.destroy();
    });
    expect(socket.remotePort, 'the socket is connected to the server').toBe(port);
  });

  it('rejects with the refusal when nothing listens', async () => {
    const port = await freePort();
    const err = await withTimeout(
      connectWithTimeout('127.0.0.1', port, 2_000).then(
        () => undefined,
        (e: unknown) => e,
      ),
      'connectWithTimeout to a closed port to reject',
    );
    expect(err, `a refused connection must reject. ${lesson.see('Refused')}`).toBeDefined();
    expect(
      diagnose(err).code,
      `the rejection carries ECONNREFUSED (as its code or its cause). ${lesson.see('Refused')}`,
    ).toBe('ECONNREFUSED');
  });

  it('rejects with BASICS_ERR_TIMEOUT when the time runs out, and leaves no socket behind', async () => {
    const { port, sockets } = await listenTestServer();
    // A loopback connect never hangs, so the spec fast-forwards time instead: fake setTimeout,
    // call your function, jump `ms` ahead before the event loop can deliver 'connect'.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let outcome: Promise<unknown>;
    try {
      outcome = connectWithTimeout('127.0.0.1', port, 1_000).then(
        (socket) => {
          socket.destroy();
          return undefined;
        },
        (e: unknown) => e,
      );
      for (let i = 0; i < 5; i++) await Promise.resolve(); // let an async function reach its setTimeout
      vi.advanceTimersByTime(1_000);
    } finally {
      vi.useRealTimers();
    }
    const err = (await withTimeout(outcome, 'connectWithTimeout to settle')) as
      | ErrnoError
      | undefined;
    expect(
      err,
      `after 1000 ms of (fake) time it must reject: use setTimeout/clearTimeout for the deadline. ${TIMEOUT}`,
    ).toBeInstanceOf(Error);
    expect(err?.code, `the timeout error has code BASICS_ERR_TIMEOUT. ${TIMEOUT}`).toBe(
      'BASICS_ERR_TIMEOUT',
    );
    expect(err?.message, `the message names the address. ${TIMEOUT}`).toContain(
      `127.0.0.1:${port}`,
    );
    expect(err?.message, `the message names the time waited. ${TIMEOUT}`).toContain('1000');
    // A connection made now queues behind any the timed-out socket opened; once the server has
    // accepted it, only it may be left.
    const probe = clientTo(port);
    await withTimeout(nextEvent(probe, 'connect'), 'a probe connection');
    await pollUntil(
      () => [...sockets].some((s) => s.remotePort === probe.localPort),
      'the server to accept the probe',
    );
    await pollUntil(() => sockets.size === 1, 'only the probe to be left', { ms: 1_000 }).catch(
      () => {
        throw new Error(
          `a connection is still open after the timeout: destroy the socket when the timer fires. ${TIMEOUT}`,
        );
      },
    );
  });

  it('clears its timer once connected', async () => {
    const { port } = await listenTestServer();
    const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout } = globalThis;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let watchdog: NodeJS.Timeout | undefined;
      const socket = await Promise.race([
        connectWithTimeout('127.0.0.1', port, 1_000),
        new Promise<never>((_, reject) => {
          watchdog = realSetTimeout(
            () => reject(new Error('connectWithTimeout did not resolve within 5 s')),
            5_000,
          );
        }),
      ]).finally(() => realClearTimeout(watchdog));
      onTestFinished(() => {
        socket.destroy();
      });
      expect(
        vi.getTimerCount(),
        `no timer may be left pending after connecting: clearTimeout it. ${TIMEOUT}`,
      ).toBe(0);
      vi.advanceTimersByTime(1_000);
      expect(socket.destroyed, `a late timer must not destroy a connected socket. ${TIMEOUT}`).toBe(
        false,
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
