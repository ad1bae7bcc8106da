import { describe, expect, it } from 'vitest';
import {
  decodeReliablePacket,
  encodeReliablePacket,
  encodeReliablePacketInto,
  type ReliablePacket,
  reliablePacketBytes,
} from '../../src/reliable/packet.ts';
import { ReliableSender } from '../../src/reliable/sender.ts';

/** A sender with `segments` full segments of 10 bytes queued and an RTT of `srttMs` measured. */
function loaded(segments: number, srttMs: number, maxBurstSegments?: number): ReliableSender {
  const tx = new ReliableSender({
    firstSeq: 1,
    maxPayloadBytes: 10,
    maxWindowSegments: 100,
    ...(maxBurstSegments === undefined ? {} : { maxBurstSegments }),
  });
  tx.peerWindow = 100;
  tx.rtt.sample(srttMs);
  tx.write(new Uint8Array(segments * 10));
  return tx;
}

describe('pacing (a token bucket on the injected clock)', () => {
  it('sends at most maxBurstSegments back to back, then says when the next may go', () => {
    const tx = loaded(50, 10, 4);
    expect(tx.poll(0)).toHaveLength(4);
    // The window is 100 segments per 10 ms RTT, paced at 1.25 × that: a token every 0.08 ms.
    const until = tx.pacedUntil;
    expect(until).toBeCloseTo(1 / 12.5, 6);
    expect(tx.nextDeadline).toBe(until);
    expect(tx.poll(0)).toHaveLength(0); // no time passed: no token
  });

  it('spreads a window over the RTT instead of sending it in one burst', () => {
    const tx = loaded(100, 10, 4);
    let sent = tx.poll(0).length;
    // 1.25 × 100 segments per 10 ms = 12.5 per ms: about 12 more in the first ms, polled often.
    for (let t = 1; t <= 10; t++) sent += tx.poll(t / 10).length;
    expect(sent).toBeGreaterThanOrEqual(4 + 12);
    expect(sent).toBeLessThanOrEqual(4 + 13);
    // A long pause earns at most one burst, not the time's worth.
    expect(tx.poll(5)).toHaveLength(4);
    for (let t = 51; t <= 200; t++) sent += tx.poll(t / 10).length;
    expect(sent + 4).toBe(100);
  });

  it('does not pace before an RTT is measured, nor with maxBurstSegments 0', () => {
    const fresh = new ReliableSender({ firstSeq: 1, maxPayloadBytes: 10, maxWindowSegments: 100 });
    fresh.peerWindow = 100;
    fresh.write(new Uint8Array(500));
    expect(fresh.poll(0)).toHaveLength(50);
    expect(loaded(50, 10, 0).poll(0)).toHaveLength(50);
    expect(fresh.pacedUntil).toBeUndefined();
  });

  it('never leaves a token forever just short of one (rounding on a fake clock)', () => {
    const tx = loaded(40, 3, 1);
    let now = 1000.1;
    let sent = 0;
    for (let i = 0; i < 1000 && sent < 40; i++) {
      sent += tx.poll(now).length;
      now = tx.pacedUntil ?? now;
    }
    expect(sent).toBe(40);
  });

  it('rejects a bad maxBurstSegments', () => {
    expect(() => new ReliableSender({ firstSeq: 1, maxBurstSegments: -1 })).toThrow(RangeError);
    expect(() => new ReliableSender({ firstSeq: 1, maxBurstSegments: 1.5 })).toThrow(TypeError);
  });
});

describe('encodeReliablePacketInto', () => {
  it('encodes packets back to back into one buffer, each as encodeReliablePacket does', () => {
    const packets: ReliablePacket[] = [1, 2, 3].map((seq) => ({
      type: 'DATA',
      flags: 0,
      connectionId: 7,
      seq,
      ack: 9,
      window: 3,
      sack: seq === 2 ? [{ start: 11, end: 12 }] : [],
      payload: new Uint8Array(seq * 5).fill(seq),
    }));
    const slab = Buffer.alloc(packets.reduce((n, p) => n + reliablePacketBytes(p), 0));
    let offset = 0;
    for (const packet of packets) {
      const end = encodeReliablePacketInto(packet, slab, offset);
      expect(slab.subarray(offset, end)).toEqual(encodeReliablePacket(packet));
      expect(decodeReliablePacket(slab.subarray(offset, end)).seq).toBe(packet.seq);
      offset = end;
    }
    expect(offset).toBe(slab.length);
  });
});
