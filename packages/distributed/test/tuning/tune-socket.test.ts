import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { readSocketOptions } from '@socketlab/multiplexing';
import { nextEvent } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  listenTuned,
  TUNING_DEFAULTS,
  type TunedServerOptions,
  tuneSocket,
} from '../../src/tuning/index.ts';

/** A tuned server that hands out its accepted sockets, and a connected client. */
async function pair(options: TunedServerOptions = {}) {
  const accepted: net.Socket[] = [];
  const served = await listenTuned(options, (socket) => accepted.push(socket));
  onTestFinished(() => served.close());
  const arrived = nextEvent(served.server, 'connection');
  const client = net.connect(served.address.port, '127.0.0.1');
  onTestFinished(() => {
    client.destroy();
  });
  await Promise.all([arrived, nextEvent(client, 'connect')]);
  return { served, client, server: accepted[0] as net.Socket };
}

describe('tuneSocket', () => {
  it('turns Nagle off and arms a 30 s keepalive by default, where a plain socket has neither', async () => {
    const { client } = await pair({ noDelay: false, keepAliveDelayMs: false });
    expect((await readSocketOptions(client)).timer.kind).toBe('none');
    const setNoDelay = vi.spyOn(client, 'setNoDelay');
    const applied = tuneSocket(client);
    expect(setNoDelay).toHaveBeenCalledWith(true);
    expect(applied).toEqual({
      noDelay: true,
      keepAlive: { delayMs: 30_000, intervalMs: 'libuv', probes: 'libuv' },
      idleTimeoutMs: 0,
    });
    const { timer } = await readSocketOptions(client);
    expect(timer.kind).toBe('keepalive');
    expect(timer.ms).toBeGreaterThan(20_000);
    expect(timer.ms).toBeLessThanOrEqual(30_000);
  });

  it('applies the knobs asked: keepalive delay in whole seconds, no keepalive, an idle timeout', async () => {
    const { client } = await pair();
    tuneSocket(client, { keepAliveDelayMs: 5_500, idleTimeoutMs: 120_000, noDelay: false });
    let reading = await readSocketOptions(client);
    expect(reading.idleTimeoutMs).toBe(120_000);
    expect(reading.timer.kind).toBe('keepalive');
    expect(reading.timer.ms).toBeLessThanOrEqual(5_000);
    tuneSocket(client, { keepAliveDelayMs: false });
    reading = await readSocketOptions(client);
    expect(reading.timer.kind).toBe('none');
    expect(reading.idleTimeoutMs).toBe(0);
  });

  it.each([
    [{ noDelay: 'yes' }, TypeError],
    [{ keepAliveDelayMs: 10 }, RangeError],
    [{ keepAliveDelayMs: true }, TypeError],
    [{ idleTimeoutMs: -1 }, RangeError],
  ])('refuses %j', (tuning, type) => {
    const socket = new net.Socket();
    onTestFinished(() => {
      socket.destroy();
    });
    expect(() => tuneSocket(socket, tuning as never)).toThrow(type);
  });
});

describe('listenTuned', () => {
  it('tunes every accepted socket and sizes its buffers with highWaterMark', async () => {
    const { server } = await pair({ highWaterMark: 256 * 1024, keepAliveDelayMs: 10_000 });
    expect(server.readableHighWaterMark).toBe(256 * 1024);
    expect(server.writableHighWaterMark).toBe(256 * 1024);
    const { timer } = await readSocketOptions(server);
    expect(timer.kind).toBe('keepalive');
    expect(timer.ms).toBeLessThanOrEqual(10_000);
  });

  it("keeps Node's default high-water mark when none is given", async () => {
    const { server } = await pair();
    expect(server.writableHighWaterMark).toBe(getDefaultHighWaterMark(false));
  });

  it.runIf(process.platform === 'linux')(
    'listens with the backlog asked, as ss shows it',
    async () => {
      try {
        execFileSync('ss', ['-V'], { encoding: 'utf8', timeout: 10_000 });
      } catch {
        console.warn('skipped: ss (iproute2) is not installed, so the backlog cannot be read back');
        return;
      }
      for (const backlog of [7, TUNING_DEFAULTS.backlog]) {
        const served = await listenTuned(backlog === 7 ? { backlog } : {}, () => {});
        onTestFinished(() => served.close());
        const row = execFileSync('ss', ['-Hltn', `sport = :${served.address.port}`], {
          encoding: 'utf8',
        });
        // LISTEN's Send-Q column is the accept queue's length: the backlog, as the kernel capped it.
        expect(row.trim().split(/\s+/).slice(0, 3)).toEqual(['LISTEN', '0', String(backlog)]);
      }
    },
  );

  it('refuses a bad knob before listening', () => {
    expect(() => listenTuned({ backlog: 0 }, () => {})).toThrow(RangeError);
    expect(() => listenTuned({ highWaterMark: 0 }, () => {})).toThrow(RangeError);
    expect(() => listenTuned({ keepAliveDelayMs: 1 }, () => {})).toThrow(RangeError);
  });
});
