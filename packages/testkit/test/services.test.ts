import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canConnect, probeService } from '../src/services.ts';

const saved = { REDIS_URL: process.env.REDIS_URL, CI: process.env.CI };
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('probeService', () => {
  it('finds a service at the address its environment variable gives', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
      const redis = await probeService('redis');
      expect(redis).toMatchObject({
        reachable: true,
        skip: false,
        url: `redis://127.0.0.1:${port}`,
      });
      expect(() => redis.require()).not.toThrow();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('says what is missing, where it looked and how to start it; skips only outside CI', async () => {
    const port = await closedPort();
    process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    process.env.CI = 'false';
    const outside = await probeService('redis');
    expect(outside).toMatchObject({ reachable: false, skip: true });
    expect(outside.missing).toContain(`127.0.0.1:${port}`);
    expect(outside.missing).toContain('redis-server');
    process.env.CI = 'true';
    const underCi = await probeService('redis');
    expect(underCi.skip).toBe(false);
    expect(() => underCi.require()).toThrow(/CI=true: a missing service is a failure/);
  });

  it('canConnect answers false for a closed port, within its timeout', async () => {
    expect(await canConnect('127.0.0.1', await closedPort(), 2_000)).toBe(false);
  });
});
