import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../src/impaired/prng.ts';
import { RenoWindow } from '../../src/reliable/congestion.ts';
import { ReliableSender } from '../../src/reliable/sender.ts';
import { simulateReliablePair } from '../helpers/reliable-sim.ts';

describe('RenoWindow (RFC 5681, in packets)', () => {
  it('grows by one packet per packet acknowledged in slow start', () => {
    const reno = new RenoWindow({ maxWindowSegments: 64 });
    expect(reno.cwnd).toBe(10);
    reno.onAck(10, 11);
    expect(reno.cwnd).toBe(20);
  });

  it('grows by about one packet per window past ssthresh (congestion avoidance)', () => {
    const reno = new RenoWindow({ maxWindowSegments: 64 });
    reno.onLoss(20, 100); // ssthresh = cwnd = 10, recovering until 100
    reno.onAck(5, 50);
    expect(reno.cwnd).toBe(10); // held during recovery
    reno.onAck(10, 100); // recovery over: 10 + 10/10
    expect(reno.cwnd).toBe(11);
    for (let i = 0; i < 11; i++) reno.onAck(1, 101 + i);
    expect(reno.cwnd).toBeGreaterThan(11.9);
    expect(reno.cwnd).toBeLessThan(12.1);
  });

  it('halves once per loss event, and drops to one packet on a timeout', () => {
    const reno = new RenoWindow({ maxWindowSegments: 64, initialWindowSegments: 32 });
    reno.onLoss(32, 500);
    reno.onLoss(32, 500); // a second loss in the same window is the same event
    expect([reno.cwnd, reno.ssthresh, reno.recovering]).toEqual([16, 16, true]);
    reno.onTimeout(16, 600);
    expect([reno.cwnd, reno.ssthresh]).toEqual([1, 8]);
  });

  it('never grows past maxWindowSegments', () => {
    const reno = new RenoWindow({ maxWindowSegments: 12 });
    reno.onAck(100, 101);
    expect(reno.cwnd).toBe(12);
    expect(() => new RenoWindow({ maxWindowSegments: 12, initialWindowSegments: 0 })).toThrow(
      RangeError,
    );
  });

  it('limits a sender to its initial window', () => {
    const tx = new ReliableSender({ firstSeq: 1, maxPayloadBytes: 10, congestionControl: 'reno' });
    tx.peerWindow = 1000;
    tx.write(new Uint8Array(1000));
    expect(tx.poll(0)).toHaveLength(10);
    tx.onAck(6, 1000, [], 5);
    expect(tx.poll(5)).toHaveLength(10); // 5 acknowledged: cwnd 15, 5 in flight, 10 more
    expect(() => new ReliableSender({ firstSeq: 1, congestionControl: 'cubic' as never })).toThrow(
      RangeError,
    );
  });

  it('delivers every byte with reno over a lossy simulated channel (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.integer({ min: 0, max: 30_000 }),
        (seed, loss, size) => {
          const up = createSeededRandom(seed).fill(new Uint8Array(size));
          const result = simulateReliablePair({
            seed,
            channel: { loss, duplicate: 0.05, delayMs: 2, jitterMs: 5 },
            clientBytes: up,
            serverBytes: new Uint8Array(0),
            limits: { congestionControl: 'reno', maxRetransmits: 30, maxHandshakeRetries: 30 },
          });
          expect(Buffer.compare(result.receivedByServer, up), `seed ${seed}, loss ${loss}`).toBe(0);
          expect(result.client.closeReason, `seed ${seed}, loss ${loss}`).toBe('done');
        },
      ),
      { numRuns: 30 },
    );
  });
});
