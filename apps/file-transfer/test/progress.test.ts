import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatRate } from '../src/cli/format.ts';
import { createProgressDisplay } from '../src/cli/progress.ts';

const MiB = 1024 * 1024;

describe('progress as plain lines (stdout is not a terminal)', () => {
  it('prints a line per file at most each second and when it ends, with bytes, rate and ETA', () => {
    let now = 0;
    const lines: string[] = [];
    const display = createProgressDisplay({
      verb: 'sending',
      totalBytes: 20 * MiB,
      line: (l) => lines.push(l),
      now: () => now,
    });
    for (let ms = 100; ms <= 2000; ms += 100) {
      now = ms;
      display.update('big.bin', 10 * MiB, Math.round((ms / 2000) * 10 * MiB), 0);
    }
    now = 2100;
    display.update('small.txt', 10, 10, 0); // small files end in the summary, not a line each
    now = 2200;
    display.update('resumed.bin', 10 * MiB, 6 * MiB, 5 * MiB);
    display.stop();
    expect(lines).toEqual([
      'overall: 5.00 MiB / 20.0 MiB (25%) 5.00 MiB/s ETA 3s',
      // The file's clock starts at its first update (100 ms): its first line comes at 1100 ms.
      'sending big.bin: 5.50 MiB / 10.0 MiB (55%) 5.50 MiB/s ETA 1s',
      'sending big.bin: 10.0 MiB / 10.0 MiB (100%) 5.26 MiB/s ETA 0s',
      'overall: 10.0 MiB / 20.0 MiB (50%) 5.00 MiB/s ETA 2s',
      'resumed.bin: resuming at 5.00 MiB',
    ]);
  });
});

describe('progress as bars (stdout is a terminal)', () => {
  it('draws an overall bar and one per file', async () => {
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 120,
    }) as unknown as NodeJS.WriteStream;
    let drawn = '';
    (tty as unknown as PassThrough).on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const display = createProgressDisplay({
      verb: 'sending',
      totalBytes: 4 * MiB,
      line: () => {},
      tty,
    });
    display.update('a.bin', 4 * MiB, 2 * MiB, 0);
    display.stop();
    expect(drawn).toMatch(/overall\s+\|.*\| 50% 2\.00 MiB\/4\.00 MiB/);
    expect(drawn).toMatch(/a\.bin\s+\|.*\| 50%/);
  });
});

describe('sizes, rates and durations', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.50 KiB'],
    [200 * MiB, '200 MiB'],
    [1.5 * 1024 * MiB, '1.50 GiB'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('formats rates and durations', () => {
    expect(formatRate(2 * MiB)).toBe('2.00 MiB/s');
    expect(formatDuration(7.4)).toBe('7s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3723)).toBe('1h02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
