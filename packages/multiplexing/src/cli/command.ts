/**
 * Option parsing shared by the `socketlab-mux` commands.
 * @internal
 */
import { CliUsageError } from '@socketlab/internal';

/**
 * Parses a decimal number option strictly (`12`, `0.5`; not `12abc`, `1e3`, `-1`), within bounds.
 * @throws {CliUsageError} for anything else, a missing value included.
 */
export function parseNumberOption(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
  { integer = false } = {},
): number {
  if (raw === undefined) throw new CliUsageError(`--${name} is required`);
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  if (!pattern.test(raw) || !Number.isFinite(value)) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new CliUsageError(`--${name} must be ${kind}, got ${JSON.stringify(raw)}`);
  }
  if (value < min || value > max) {
    throw new CliUsageError(`--${name} must be from ${min} to ${max}, got ${raw}`);
  }
  return value;
}
