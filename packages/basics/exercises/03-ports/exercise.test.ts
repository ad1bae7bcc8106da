import { readFile } from 'node:fs/promises';
import type net from 'node:net';
import {
  closeServer,
  connectTcp,
  failOnUncaught,
  lessonOf,
  loadExercise,
  thrownBy,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

type Exercise = typeof import('./exercise.ts');
const { classifyPort, listenOnAnyPort } = await loadExercise<Exercise>(import.meta.url);
const lesson = lessonOf(import.meta.url);
const RANGES = lesson.see('The ranges');
const PORT_0 = lesson.see('Port 0 and the ephemeral range');

/** Listens through the learner's function, and closes the server when the test ends. */
async function listen(host: '127.0.0.1' | '::1'): Promise<{ server: net.Server; port: number }> {
  const result = await withTimeout(
    listenOnAnyPort(host),
    `listenOnAnyPort(${JSON.stringify(host)}) to resolve`,
  );
  expect(result, 'listenOnAnyPort resolves with { server, port }').toMatchObject({
    port: expect.any(Number),
  });
  onTestFinished(() => closeServer(result.server));
  return result;
}

describe('classifyPort', () => {
  it.each([
    [0, 'ephemeral-request', false],
    [1, 'well-known', true],
    [80, 'well-known', true],
    [1023, 'well-known', true],
    [1024, 'registered', false],
    [3000, 'registered', false],
    [49_151, 'registered', false],
    [49_152, 'dynamic', false],
    [60_000, 'dynamic', false],
    [65_535, 'dynamic', false],
  ] as const)('puts port %i in the %s range (privileged: %s)', (port, range, privileged) => {
    const info = classifyPort(port);
    expect(info.port, `classifyPort(${port}).port. ${RANGES}`).toBe(port);
    expect(info.range, `classifyPort(${port}).range. ${RANGES}`).toBe(range);
    expect(info.privileged, `classifyPort(${port}).privileged. ${RANGES}`).toBe(privileged);
  });

  it.each([
    [7, 'echo'],
    [21, 'ftp'],
    [22, 'ssh'],
    [25, 'smtp'],
    [53, 'domain'],
    [80, 'http'],
    [443, 'https'],
    [5432, 'postgresql'],
    [6379, 'redis'],
  ] as const)('names the IANA service on port %i: %s', (port, service) => {
    expect(classifyPort(port).service, `classifyPort(${port}).service. ${RANGES}`).toBe(service);
  });

  it.each([1, 1022, 40_000, 65_535])('gives no service for port %i', (port) => {
    expect(classifyPort(port).service, `classifyPort(${port}).service. ${RANGES}`).toBeUndefined();
  });

  it.each([[-1], [65_536], [100_000], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'throws for the invalid port %s',
    (port) => {
      thrownBy(() => classifyPort(port), `classifyPort(${port})`, RANGES);
    },
  );
});

describe('listenOnAnyPort', () => {
  it.each(['127.0.0.1', '::1'] as const)(
    'binds port 0 on %s and reports the port the kernel chose',
    async (host) => {
      const { server, port } = await listen(host);
      expect(server.listening, `the server is listening when the promise resolves. ${PORT_0}`).toBe(
        true,
      );
      expect(port, `the kernel never hands out port 0. ${PORT_0}`).toBeGreaterThan(0);
      expect(port).toBeLessThanOrEqual(65_535);
      const address = server.address();
      expect(address, 'server.address() is a TCP address').toMatchObject({ port, address: host });

      const client = await connectTcp(port, host);
      onTestFinished(() => {
        client.destroy();
      });
      expect(client.remotePort, 'a client reaches the server on that port').toBe(port);
    },
  );

  it('gives two servers open at the same time two different ports', async () => {
    const first = await listen('127.0.0.1');
    const second = await listen('127.0.0.1');
    expect(second.port, 'the second port differs from the first').not.toBe(first.port);
  });

  it.runIf(process.platform === 'linux')(
    "chooses from Linux's ephemeral range (ip_local_port_range)",
    async () => {
      const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
      const [low, high] = text.trim().split(/\s+/).map(Number) as [number, number];
      const { port } = await listen('127.0.0.1');
      expect(port, `port ${port} is at least ${low}`).toBeGreaterThanOrEqual(low);
      expect(port, `port ${port} is at most ${high}`).toBeLessThanOrEqual(high);
    },
  );

  it('rejects, instead of hanging, when the bind fails', async () => {
    // `.invalid` is reserved (RFC 6761): the lookup fails at once, and no packet leaves the host.
    const hint = `listen for the server's 'error' event while it starts, and reject with it: an 'error' nobody listens for is thrown and stops the program. ${PORT_0}`;
    failOnUncaught(hint);
    const attempt = listenOnAnyPort('nonexistent.invalid');
    await expect(
      withTimeout(attempt, `listenOnAnyPort("nonexistent.invalid") to reject: ${hint}`, 10_000),
      `listenOnAnyPort rejects with the error from listen(). ${PORT_0}`,
    ).rejects.toThrow(/ENOTFOUND|EAI_AGAIN|getaddrinfo/);
  });
});
