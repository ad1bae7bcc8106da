/** How sizes, rates and durations read in the app's output. Pure. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Bytes in binary units, three significant digits.
 * @example formatBytes(1536) // '1.50 KiB'
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A rate in bytes per second. @example formatRate(2 * 1024 ** 2) // '2.00 MiB/s' */
export const formatRate = (bytesPerSecond: number): string =>
  `${formatBytes(Math.round(bytesPerSecond))}/s`;

/**
 * A duration in seconds as `1h02m`, `3m05s` or `7s`; `?` when unknown.
 * @example formatDuration(185) // '3m05s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A count and its noun, plural when it is not 1. @example plural(1, 'file') // '1 file' */
export const plural = (count: number, noun: string): string =>
  `${count} ${noun}${count === 1 ? '' : 's'}`;
