import { connectTcp, listenTestServer, pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  applySocketOptions,
  DEFAULT_KEEPALIVE_DELAY_MS,
  KEEPALIVE_TUNING_SUPPORTED,
  readKernelKeepalive,
  readSocketOptions,
} from '../../src/index.ts';

async function connectedPair() {
  const server = await listenTestServer();
  const socket = await connectTcp(server.port);
  onTestFinished(() => {
    socket.destroy();
  });
  return socket;
}

describe.runIf(process.platform === 'linux')('keepalive, as the kernel shows it', () => {
  it('arms the keepalive timer with the delay asked, where a plain socket has no timer', async () => {
    const socket = await connectedPair();
    expect((await readSocketOptions(socket)).timer).toEqual({ kind: 'none', ms: 0 });

    const applied = applySocketOptions(socket, { keepAlive: { delayMs: 42_500 } });
    expect(applied.keepAlive).toEqual({ delayMs: 42_000, intervalMs: 'libuv', probes: 'libuv' });
    const { timer } = await readSocketOptions(socket);
    expect(timer.kind).toBe('keepalive');
    // The first probe is due 42 s after the last packet: a little less by the time we read.
    expect(timer.ms).toBeGreaterThan(30_000);
    expect(timer.ms).toBeLessThanOrEqual(42_000);
  });

  it('uses the default delay when none is given, and turns the timer off with false', async () => {
    const socket = await connectedPair();
    applySocketOptions(socket, { keepAlive: {} });
    const on = await readSocketOptions(socket);
    expect(on.timer.kind).toBe('keepalive');
    expect(on.timer.ms).toBeGreaterThan(DEFAULT_KEEPALIVE_DELAY_MS / 2);
    expect(on.timer.ms).toBeLessThanOrEqual(DEFAULT_KEEPALIVE_DELAY_MS);

    applySocketOptions(socket, { keepAlive: false });
    // The kernel stops the timer when SO_KEEPALIVE is cleared.
    const off = await pollUntil(async () => {
      const { timer } = await readSocketOptions(socket);
      return timer.kind === 'none' && timer;
    }, 'the keepalive timer to stop');
    expect(off.ms).toBe(0);
  });

  it('reads the kernel defaults that set the interval and probe count', async () => {
    const kernel = await readKernelKeepalive();
    expect(kernel.probes).toBeGreaterThan(0);
    expect(kernel.intervalMs % 1_000).toBe(0);
    expect(kernel.delayMs).toBeGreaterThan(0);
  });

  it.runIf(!KEEPALIVE_TUNING_SUPPORTED)(
    'refuses a probe count or interval this Node.js cannot set, naming what applies instead',
    async () => {
      const socket = await connectedPair();
      expect(() => applySocketOptions(socket, { keepAlive: { probes: 3 } })).toThrow(
        /keepAlive\.probes needs .*libuv's 10 probes applies/,
      );
      expect(() => applySocketOptions(socket, { keepAlive: { intervalMs: 5_000 } })).toThrow(
        TypeError,
      );
    },
  );

  it.runIf(KEEPALIVE_TUNING_SUPPORTED)(
    'sets the probe count and interval where Node can',
    async () => {
      const socket = await connectedPair();
      const applied = applySocketOptions(socket, {
        keepAlive: { delayMs: 10_000, intervalMs: 2_000, probes: 3 },
      });
      expect(applied.keepAlive).toEqual({ delayMs: 10_000, intervalMs: 2_000, probes: 3 });
      const { timer } = await readSocketOptions(socket);
      expect(timer.kind).toBe('keepalive');
      expect(timer.ms).toBeLessThanOrEqual(10_000);
    },
  );

  it.runIf(KEEPALIVE_TUNING_SUPPORTED)(
    'keeps the delay when only one of interval and probes is given (libuv drops it on a 0)',
    async () => {
      const socket = await connectedPair();
      const applied = applySocketOptions(socket, { keepAlive: { delayMs: 10_000, probes: 3 } });
      expect(applied.keepAlive).toEqual({ delayMs: 10_000, intervalMs: 'libuv', probes: 3 });
      const { timer } = await readSocketOptions(socket);
      expect(timer.kind).toBe('keepalive');
      expect(timer.ms, 'the 10 s delay, not the kernel two hours').toBeLessThanOrEqual(10_000);
    },
  );
});

describe('applySocketOptions checks', () => {
  it.each([
    [
      { keepAlive: { delayMs: 999 } },
      RangeError,
      /keepAlive\.delayMs must be an integer from 1000/,
    ],
    [{ keepAlive: { delayMs: 1.5e3 + 0.5 } }, TypeError, /keepAlive\.delayMs/],
    [{ idleTimeoutMs: -1 }, RangeError, /idleTimeoutMs must be an integer from 0/],
    [{ noDelay: 'yes' }, TypeError, /noDelay must be a boolean/],
    [{ keepAlive: true }, TypeError, /keepAlive must be false or an object/],
    [null, TypeError, /options must be an object, got "null"/],
  ])('refuses %j', async (options, kind, message) => {
    const socket = await connectedPair();
    expect(() => applySocketOptions(socket, options as never)).toThrow(kind);
    expect(() => applySocketOptions(socket, options as never)).toThrow(message);
  });
});
