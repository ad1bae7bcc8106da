import { describe, expect, it } from 'vitest';
import { pollUntil, WaitTimeoutError } from '../src/wait.ts';

describe('pollUntil', () => {
  it('returns the first value that is not undefined or false', async () => {
    let calls = 0;
    const got = await pollUntil(
      () => (++calls === 3 ? 'ready' : calls === 2 ? false : undefined),
      'x',
      {
        intervalMs: 1,
      },
    );
    expect(got).toBe('ready');
    expect(calls).toBe(3);
  });

  it('waits out its time bound when no count is given', async () => {
    // 1,500 ms allowed, 1 ms apart: a fixed count bound of 1,000 tries (what it once was) gave up
    // after about 1.1 s here, and after about 10 s of a 90 s wait at the default 10 ms apart.
    const started = Date.now();
    let calls = 0;
    const error = await pollUntil(
      () => {
        calls++;
        return undefined;
      },
      'the thing',
      { ms: 1_500, intervalMs: 1 },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).message).toBe(
      'timed out after 1500 ms waiting for the thing',
    );
    expect((error as WaitTimeoutError).tries).toBeUndefined();
    expect(calls).toBeLessThanOrEqual(1_501);
  });

  it('says so when an explicit count bound ends the wait first', async () => {
    let calls = 0;
    const error = await pollUntil(
      () => {
        calls++;
        return undefined;
      },
      'the file',
      { ms: 5_000, intervalMs: 1, maxTries: 3 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((error as WaitTimeoutError).tries).toBe(3);
    expect((error as WaitTimeoutError).message).toBe(
      'gave up after 3 tries (the count bound; 5000 ms were allowed) waiting for the file',
    );
  });
});
