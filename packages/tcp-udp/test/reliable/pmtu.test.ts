import { createHash } from 'node:crypto';
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createSeededRandom } from '../../src/impaired/prng.ts';
import { PathMtuSearch, PMTU_MAX_PROBES, PMTU_RAISE_TIMER_MS } from '../../src/reliable/pmtu.ts';
import { listenReliableUdp } from '../../src/reliable/server.ts';
import { connectReliableUdp, suggestedMaxDatagramBytes } from '../../src/reliable/socket.ts';
import { simulateReliablePair } from '../helpers/reliable-sim.ts';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('PathMtuSearch (RFC 8899, pure)', () => {
  it('probes up the ladder to the maximum, one probe at a time, raising only on an ACK', () => {
    const search = new PathMtuSearch({ baseBytes: 1252, maxBytes: 20_000 });
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const probe = search.poll(i, 100);
      if (!probe) break;
      expect(search.poll(i, 100)).toBeUndefined(); // one in flight at a time
      expect(search.datagramBytes).toBe(sizes.at(-1) ?? 1252); // not before its ACK
      sizes.push(probe.datagramBytes);
      expect(search.onProbeAck(probe.id + 1)).toBe(false); // a wrong number confirms nothing
      expect(search.onProbeAck(probe.id)).toBe(true);
    }
    expect(sizes).toEqual([1472, 8192, 16384, 20_000]);
    expect(search.datagramBytes).toBe(20_000);
    expect(search.state).toBe('complete');
  });

  it(`stops at the last size that passed after ${PMTU_MAX_PROBES} unanswered probes, and searches again after the raise timer`, () => {
    const search = new PathMtuSearch({ baseBytes: 1252, maxBytes: 65_507 });
    const first = search.poll(0, 100);
    expect(first && search.onProbeAck(first.id)).toBe(true); // 1472 passes
    let now = 0;
    for (let i = 0; i < PMTU_MAX_PROBES; i++) {
      expect(search.poll(now, 100)?.datagramBytes).toBe(8192);
      now = search.nextDeadline ?? Number.NaN;
      search.onTimer(now);
    }
    expect(search.state).toBe('complete');
    expect(search.datagramBytes).toBe(1472);
    expect(search.poll(now, 100)).toBeUndefined();
    search.onTimer(now + PMTU_RAISE_TIMER_MS);
    expect(search.poll(now + PMTU_RAISE_TIMER_MS, 100)?.datagramBytes).toBe(8192);
  });

  it('falls back to the base size on a black hole', () => {
    const search = new PathMtuSearch({ baseBytes: 1252, maxBytes: 8192 });
    expect(search.onBlackHole(0)).toBe(false); // already at the base
    for (let i = 0; i < 2; i++) {
      const probe = search.poll(0, 100);
      if (probe) search.onProbeAck(probe.id);
    }
    expect(search.datagramBytes).toBe(8192);
    expect(search.onBlackHole(5)).toBe(true);
    expect(search.datagramBytes).toBe(1252);
    expect(search.nextDeadline).toBe(5 + PMTU_RAISE_TIMER_MS);
  });

  it('probes nothing when the maximum is the base size', () => {
    const search = new PathMtuSearch({ baseBytes: 1252, maxBytes: 1252 });
    expect(search.poll(0, 100)).toBeUndefined();
    expect(search.state).toBe('complete');
  });
});

describe('path MTU discovery in a simulated pair', () => {
  it.each([
    [1500, 1472],
    [9000, 8192],
    [70_000, 65_507],
  ])(
    'finds %i-byte path carries %i-byte datagrams and delivers everything intact',
    (path, found) => {
      const up = createSeededRandom(3).fill(new Uint8Array(1_500_000));
      const result = simulateReliablePair({
        seed: 3,
        channel: { loss: 0.01, duplicate: 0.01, delayMs: 2, jitterMs: 1, maxDatagramBytes: path },
        clientBytes: up,
        serverBytes: new Uint8Array(0),
        limits: { maxDatagramBytes: 65_507, maxReceiveBufferBytes: 1 << 20 },
      });
      expect(sha(result.receivedByServer)).toBe(sha(up));
      expect(result.client.closeReason).toBe('done');
      expect(result.client.stats.pathDatagramBytes).toBe(found);
      // Segments really were cut at the size found: far fewer than at 1,200 bytes each.
      expect(result.client.stats.segmentsSent).toBeLessThan(1_500_000 / 1200);
    },
  );

  it('never probes, and stays at 1,200-byte segments, without maxDatagramBytes', () => {
    const up = createSeededRandom(4).fill(new Uint8Array(50_000));
    const result = simulateReliablePair({
      seed: 4,
      channel: { loss: 0, duplicate: 0, delayMs: 2, jitterMs: 0 },
      clientBytes: up,
      serverBytes: new Uint8Array(0),
    });
    expect(sha(result.receivedByServer)).toBe(sha(up));
    expect(result.client.stats.probesSent).toBe(0);
    expect(result.client.stats.segmentsSent).toBe(Math.ceil(50_000 / 1200) + 1); // + FIN
  });
});

describe('path MTU discovery on 127.0.0.1', () => {
  it('suggests the largest UDP payload on loopback and Ethernet size elsewhere', () => {
    expect(suggestedMaxDatagramBytes('127.0.0.1')).toBe(65_507);
    expect(suggestedMaxDatagramBytes('::1')).toBe(65_507);
    expect(suggestedMaxDatagramBytes('192.0.2.1')).toBe(1472);
    expect(suggestedMaxDatagramBytes('2001:db8::1')).toBe(1452);
  });

  it.each([
    [65_507, 65_507],
    [9000, 9000],
  ])(
    'with maxDatagramBytes %i, moves 2 MiB intact in %i-byte datagrams',
    async (max, found) => {
      const limits = {
        rto: { minRtoMs: 20, initialRtoMs: 200 },
        lingerMs: 50,
        maxDatagramBytes: max,
      };
      const bytes = createSeededRandom(9).fill(new Uint8Array(2 << 20));
      let resolveGot: (digest: string) => void = () => {};
      const got = new Promise<string>((resolve) => {
        resolveGot = resolve;
      });
      const server = await listenReliableUdp(limits, (connection) => {
        (async () => {
          const hash = createHash('sha256');
          for await (const chunk of connection) hash.update(chunk);
          await connection.end();
          resolveGot(hash.digest('hex'));
        })().catch(() => {});
      });
      onTestFinished(() => server.close());
      const client = await connectReliableUdp({
        ...limits,
        host: '127.0.0.1',
        port: server.address.port,
      });
      onTestFinished(() => client.close());
      await client.write(bytes.subarray(0, 65_536));
      // The search runs while the connection is open: wait for it (a busy machine slows it).
      await pollUntil(
        () => client.stats.pathDatagramBytes === found,
        `the path MTU search to reach ${found} bytes`,
        { ms: 15_000 },
      );
      for (let offset = 65_536; offset < bytes.length; offset += 65_536) {
        await client.write(bytes.subarray(offset, offset + 65_536));
      }
      await client.end();
      expect(await got).toBe(sha(bytes));
      expect(client.stats.pathDatagramBytes).toBe(found);
      expect(client.stats.segmentsSent).toBeLessThan((2 << 20) / 1200);
    },
    30_000,
  );
});
