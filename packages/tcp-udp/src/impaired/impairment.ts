import { checkInteger, checkNumber } from '@socketlab/internal';
import type { SeededRandom } from './prng.ts';

/**
 * How a simulated network mistreats datagrams. Every field is optional; the defaults describe a
 * perfect link (nothing lost, nothing late). Probabilities are per packet and independent.
 */
export interface ImpairmentOptions {
  /** Probability that a packet is lost, in [0, 1]. @default 0 */
  readonly loss?: number;
  /** Probability that a packet that survives is also duplicated, in [0, 1]. @default 0 */
  readonly duplicate?: number;
  /** Most extra copies of a duplicated packet (drawn uniformly from 1 … this), 1–16. @default 1 */
  readonly maxExtraCopies?: number;
  /**
   * Probability that a copy is held back by an extra {@link ImpairmentOptions.reorderDelayMs}, so
   * packets sent after it overtake it, in [0, 1]. Jitter alone also reorders. @default 0
   */
  readonly reorder?: number;
  /** Extra delay of a packet picked by {@link ImpairmentOptions.reorder}, 0–60000 ms. @default 20 */
  readonly reorderDelayMs?: number;
  /** Fixed one-way delay added to every copy, 0–60000 ms. @default 0 */
  readonly delayMs?: number;
  /**
   * Random extra delay per copy, uniform in [0, jitterMs], 0–60000 ms. Two packets sent 1 ms apart
   * with 5 ms of jitter arrive in either order: jitter reorders. @default 0
   */
  readonly jitterMs?: number;
}

/** {@link ImpairmentOptions} with every default filled in and every value checked. */
export type ImpairmentSettings = { readonly [K in keyof ImpairmentOptions]-?: number };

/** The settings of a perfect link: the defaults of {@link ImpairmentOptions}. */
export const IMPAIRMENT_DEFAULTS: ImpairmentSettings = Object.freeze({
  loss: 0,
  duplicate: 0,
  maxExtraCopies: 1,
  reorder: 0,
  reorderDelayMs: 20,
  delayMs: 0,
  jitterMs: 0,
});

const MAX_DELAY_MS = 60_000;

/**
 * Fills in the defaults of {@link ImpairmentOptions} and checks every value.
 * @param options - what to impair; `base` supplies anything `options` leaves out.
 * @param base - settings to start from. @default IMPAIRMENT_DEFAULTS
 * @throws {RangeError} when a probability is outside 0 to 1, a delay outside 0 to 60000 ms, or
 *   `maxExtraCopies` outside 1 to 16.
 * @throws {TypeError} when `options` is not an object, a value is not a number (or `NaN`), or
 *   `maxExtraCopies` is not an integer.
 * @example resolveImpairmentOptions({ loss: 0.1, jitterMs: 5 }).loss; // 0.1
 */
export function resolveImpairmentOptions(
  options: ImpairmentOptions = {},
  base: ImpairmentSettings = IMPAIRMENT_DEFAULTS,
): ImpairmentSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`impairment options must be an object, got ${String(options)}`);
  }
  const merged = { ...base, ...stripUndefined(options) };
  return Object.freeze({
    loss: checkNumber('loss', merged.loss, 0, 1),
    duplicate: checkNumber('duplicate', merged.duplicate, 0, 1),
    maxExtraCopies: checkInteger('maxExtraCopies', merged.maxExtraCopies, 1, 16),
    reorder: checkNumber('reorder', merged.reorder, 0, 1),
    reorderDelayMs: checkNumber('reorderDelayMs', merged.reorderDelayMs, 0, MAX_DELAY_MS),
    delayMs: checkNumber('delayMs', merged.delayMs, 0, MAX_DELAY_MS),
    jitterMs: checkNumber('jitterMs', merged.jitterMs, 0, MAX_DELAY_MS),
  });
}

function stripUndefined(options: ImpairmentOptions): Partial<ImpairmentSettings> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as Partial<ImpairmentSettings>;
}

/** What happens to one packet: dropped, or delivered as one or more copies, each after a delay. */
export interface ImpairmentDecision {
  /** True when the packet is lost (then `delaysMs` is empty). */
  readonly drop: boolean;
  /** One entry per copy to deliver, in ms from now; two or more entries mean duplicates. */
  readonly delaysMs: readonly number[];
}

/**
 * Decides the fate of one packet. Pure apart from the draws it takes from `random`: the same
 * settings and the same generator state always give the same decision, so a run is replayed by
 * replaying its seed.
 * @param settings - from {@link resolveImpairmentOptions}.
 * @param random - the seeded generator; one per direction keeps directions independent.
 * @example
 * const random = createSeededRandom(7);
 * const settings = resolveImpairmentOptions({ loss: 0.5 });
 * decideImpairment(settings, random); // { drop: true, delaysMs: [] } or { drop: false, delaysMs: [0] }
 */
export function decideImpairment(
  settings: ImpairmentSettings,
  random: SeededRandom,
): ImpairmentDecision {
  if (random.chance(settings.loss)) return { drop: true, delaysMs: [] };
  const copies = random.chance(settings.duplicate) ? 1 + random.int(1, settings.maxExtraCopies) : 1;
  const delaysMs: number[] = [];
  for (let i = 0; i < copies; i++) {
    let delay = settings.delayMs;
    if (settings.jitterMs > 0) delay += random.float() * settings.jitterMs;
    if (random.chance(settings.reorder)) delay += settings.reorderDelayMs;
    delaysMs.push(delay);
  }
  return { drop: false, delaysMs };
}

/** True when `settings` can delay, duplicate or drop anything (false for a perfect link). */
export function isImpairing(settings: ImpairmentSettings): boolean {
  return (
    settings.loss > 0 ||
    settings.duplicate > 0 ||
    settings.reorder > 0 ||
    settings.delayMs > 0 ||
    settings.jitterMs > 0
  );
}
