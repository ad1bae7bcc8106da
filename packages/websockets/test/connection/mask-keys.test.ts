import { describe, expect, it } from 'vitest';
import { MaskKeyPool } from '../../src/connection/mask-keys.ts';

describe('MaskKeyPool', () => {
  it('hands out 4-byte keys from 4 KiB blocks, drawing a new block when one is used up', () => {
    let fills = 0;
    const pool = new MaskKeyPool((buffer) => {
      fills++;
      // A deterministic source: byte i of block n is (n * 31 + i) mod 256.
      for (let i = 0; i < buffer.length; i++) buffer[i] = (fills * 31 + i) & 0xff;
      return buffer;
    });
    const first = pool.next();
    expect(first.length).toBe(4);
    expect([...first]).toEqual([31, 32, 33, 34]);
    const keys = [first];
    for (let i = 1; i < 1024; i++) keys.push(pool.next());
    expect(fills).toBe(1);
    const next = pool.next();
    expect(fills).toBe(2);
    expect([...next]).toEqual([62, 63, 64, 65]);
    // Keys already handed out are not overwritten by the new block.
    expect([...first]).toEqual([31, 32, 33, 34]);
    expect([...(keys[1023] as Buffer)]).toEqual([
      (31 + 4092) & 0xff,
      (31 + 4093) & 0xff,
      (31 + 4094) & 0xff,
      (31 + 4095) & 0xff,
    ]);
  });

  it('uses crypto.randomFillSync by default: keys differ', () => {
    const pool = new MaskKeyPool();
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(pool.next().toString('hex'));
    expect(seen.size).toBeGreaterThan(95);
  });
});
