/** One measured case of a benchmark. */
export interface BenchCase {
  /** Short name, e.g. `socketlab` or `node:net`. */
  name: string;
  /** Runs one batch of `iterations` operations; may be async. */
  run: (iterations: number) => unknown;
}

/** A benchmark row: our case against the obvious alternative, measured in the same run. */
export interface BenchRow {
  bench: string;
  unit: string;
  value: number;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue; higher is better (the unit says so when lower is better). */
  ratio: number;
}

export interface MeasureOptions {
  /** Time budget per case, in milliseconds. @default 1000, or 100 when BENCH_QUICK=1 */
  budgetMs?: number;
  /** Operations per batch. @default 1000 */
  batch?: number;
  /** Upper bound on batches, whatever the budget. @default 100000 */
  maxBatches?: number;
}

/** True when `BENCH_QUICK=1`: every benchmark runs briefly, so CI keeps them working. */
export const BENCH_QUICK = process.env.BENCH_QUICK === '1';

/** Measures operations per second of one case: warm-up, then batches until the budget is spent. */
export async function measureOpsPerSecond(
  benchCase: BenchCase,
  {
    budgetMs = BENCH_QUICK ? 100 : 1_000,
    batch = 1_000,
    maxBatches = 100_000,
  }: MeasureOptions = {},
): Promise<number> {
  await benchCase.run(Math.max(1, Math.floor(batch / 10)));
  let operations = 0;
  const start = performance.now();
  let elapsed = 0;
  for (let i = 0; i < maxBatches && elapsed < budgetMs; i++) {
    await benchCase.run(batch);
    operations += batch;
    elapsed = performance.now() - start;
  }
  return operations / (elapsed / 1_000);
}

/** Measures `ours` and `baseline` alternately in one run and returns the row. */
export async function compare(
  bench: string,
  unit: string,
  ours: BenchCase,
  baseline: BenchCase,
  options?: MeasureOptions,
): Promise<BenchRow> {
  const rounds = BENCH_QUICK ? 1 : 3;
  let value = 0;
  let baselineValue = 0;
  for (let r = 0; r < rounds; r++) {
    value = Math.max(value, await measureOpsPerSecond(ours, options));
    baselineValue = Math.max(baselineValue, await measureOpsPerSecond(baseline, options));
  }
  return {
    bench,
    unit,
    value,
    baseline: baseline.name,
    baselineValue,
    ratio: value / baselineValue,
  };
}

/** What {@link compareRounds} measures: each side as one figure per call. */
export interface RoundsComparison {
  bench: string;
  unit: string;
  /** One measurement of ours (a fresh set-up each call, torn down before it resolves). */
  ours: () => Promise<number>;
  /** The baseline's name, e.g. `bare Socket.IO`. */
  baseline: string;
  /** One measurement of the baseline. */
  theirs: () => Promise<number>;
  /** Rounds of both. @default 3, or 1 when BENCH_QUICK=1 */
  rounds?: number;
  /** True when a smaller figure is better (bytes, latency): the best is the least and the ratio baseline/ours. */
  lowerIsBetter?: boolean;
}

/**
 * Measures both sides in rounds, ours first in even rounds and the baseline first in odd ones,
 * so neither always runs right after the other's tear-down (or always gets the warmer process),
 * and makes the row of the best of each. The ratio is always "higher is better for us".
 * @example await compareRounds({ bench: 'round trip', unit: 'trips/s', ours: () => trips(app), baseline: 'bare', theirs: () => trips(bare) })
 */
export async function compareRounds(comparison: RoundsComparison): Promise<BenchRow> {
  const { ours, theirs, lowerIsBetter = false } = comparison;
  const rounds = comparison.rounds ?? (BENCH_QUICK ? 1 : 3);
  const pick = lowerIsBetter ? Math.min : Math.max;
  let value = lowerIsBetter ? Number.POSITIVE_INFINITY : 0;
  let baselineValue = value;
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 1) baselineValue = pick(baselineValue, await theirs());
    value = pick(value, await ours());
    if (r % 2 === 0) baselineValue = pick(baselineValue, await theirs());
  }
  return {
    bench: comparison.bench,
    unit: comparison.unit,
    value,
    baseline: comparison.baseline,
    baselineValue,
    ratio: lowerIsBetter ? baselineValue / value : value / baselineValue,
  };
}

/** Prints rows as a table for people, then one JSON line per row for tools. */
export function report(rows: BenchRow[], out: (line: string) => void = console.log): void {
  const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
  out(`${'bench'.padEnd(32)} ${'ours'.padStart(14)} ${'baseline'.padStart(14)}  ratio  unit`);
  for (const r of rows) {
    out(
      `${r.bench.padEnd(32)} ${fmt(r.value).padStart(14)} ${fmt(r.baselineValue).padStart(14)}  ${r.ratio.toFixed(2).padStart(5)}  ${r.unit} (vs ${r.baseline})`,
    );
  }
  for (const r of rows) out(JSON.stringify(r));
}

/** The groups of one package's benchmarks, by name: each resolves with its rows. */
export type BenchGroups = Readonly<Record<string, () => Promise<BenchRow[]>>>;

/**
 * The body of every `bench/index.ts`: runs the groups named on the command line (all of them
 * when none is), in the order of `groups`, says on stderr how long each took, and prints the
 * {@link report}. An unknown name is refused with the known ones and exit code 2, before
 * anything runs.
 * @example await runBenchGroups({ echo: echoRows, parse: parseRows }); // pnpm bench echo
 */
export async function runBenchGroups(
  groups: BenchGroups,
  asked: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const unknown = asked.filter((name) => !Object.hasOwn(groups, name));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark group(s): ${unknown.join(', ')}; known: ${Object.keys(groups).join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  const rows: BenchRow[] = [];
  for (const [name, group] of Object.entries(groups)) {
    if (asked.length > 0 && !asked.includes(name)) continue;
    const started = performance.now();
    rows.push(...(await group()));
    console.error(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  report(rows);
}

/**
 * Groups for benchmarks kept one area to a file, `bench/<area>.ts`, each exporting `rows()`:
 * `benchDir` is the folder (`new URL('.', import.meta.url)` from `bench/index.ts`).
 */
export function benchAreas(benchDir: URL, areas: readonly string[]): BenchGroups {
  return Object.fromEntries(
    areas.map((area) => [
      area,
      async () => {
        const mod = (await import(new URL(`./${area}.ts`, benchDir).href)) as {
          rows: () => Promise<BenchRow[]>;
        };
        return mod.rows();
      },
    ]),
  );
}
