import { createHash } from 'node:crypto';
import { seededBytes } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createInlineSha256, createWorkerSha256 } from '../../src/file-transfer/sha256-hasher.ts';

const SEED = 42;

describe.each([
  ['inline', createInlineSha256],
  ['worker', createWorkerSha256],
])('the %s SHA-256 hasher', (kind, create) => {
  it(`hashes chunks in order like node:crypto (seed ${SEED})`, async () => {
    const bytes = seededBytes(SEED, 300_000);
    const expected = createHash('sha256').update(bytes).digest('hex');
    const hasher = create();
    onTestFinished(() => hasher.close());
    // Chunks that own their memory, views into a shared buffer, and an empty one.
    const owned = Uint8Array.prototype.slice.call(bytes, 0, 100_000);
    const shared = Buffer.from(bytes.subarray(100_000));
    hasher.update([owned, new Uint8Array(0)]);
    hasher.update([shared.subarray(0, 50_000), shared.subarray(50_000)]);
    expect(await hasher.digest()).toBe(expected);
    expect(hasher.transfers).toBe(kind === 'worker');
    // A view is copied, never detached: the buffer it belongs to stays usable.
    expect(shared.length).toBe(200_000);
    expect(createHash('sha256').update(shared).digest('hex')).toBe(
      createHash('sha256').update(bytes.subarray(100_000)).digest('hex'),
    );
  });

  it('hashes nothing to the SHA-256 of the empty string', async () => {
    const hasher = create();
    onTestFinished(() => hasher.close());
    expect(await hasher.digest()).toBe(createHash('sha256').digest('hex'));
  });
});

it('rejects the digest of a worker that was stopped', async () => {
  const hasher = createWorkerSha256();
  hasher.close();
  await expect(hasher.digest()).rejects.toThrow(/exited|terminated/);
});
