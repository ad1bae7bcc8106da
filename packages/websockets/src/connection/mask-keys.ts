/**
 * Masking keys for a client's frames (RFC 6455 §5.3: a fresh, unpredictable key per frame),
 * drawn from a pool of random bytes so that sending many small frames does not call the random
 * source once per frame.
 */
import { randomFillSync } from 'node:crypto';
import { MASK_KEY_BYTES } from '../frame/index.ts';

/** How many random bytes are drawn at a time: 1024 keys. */
const POOL_BYTES = 4096;

/** Where the random bytes come from: fills its argument and returns it. */
export type RandomFill = (buffer: Buffer) => Buffer;

/**
 * Hands out 4-byte masking keys from 4 KiB blocks of `crypto.randomFillSync` output. Each key is
 * a view of its block; a new block is allocated when one is used up, so a key handed out is
 * never overwritten.
 */
export class MaskKeyPool {
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  /** @param fill - the random source; inject a seeded one in tests. @default crypto.randomFillSync */
  constructor(private readonly fill: RandomFill = randomFillSync) {}

  /** The next key: four bytes never handed out before. */
  next(): Buffer {
    if (this.offset + MASK_KEY_BYTES > this.block.length) {
      this.block = this.fill(Buffer.allocUnsafe(POOL_BYTES));
      this.offset = 0;
    }
    const key = this.block.subarray(this.offset, this.offset + MASK_KEY_BYTES);
    this.offset += MASK_KEY_BYTES;
    return key;
  }
}
