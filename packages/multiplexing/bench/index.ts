/**
 * Stage 3 benchmarks: the library against the obvious alternative, in the same run.
 *   pnpm bench                      every area, full run
 *   pnpm bench load                 only these areas
 *   BENCH_QUICK=1 pnpm bench        a short run that only proves every benchmark still works
 * Each area lives in bench/<area>.ts and exports `rows()`.
 */
import { type BenchRow, report } from '@socketlab/testkit';

const AREAS = ['connections', 'load', 'socket-options'] as const;
type Area = (typeof AREAS)[number];

const isArea = (name: string): name is Area => (AREAS as readonly string[]).includes(name);

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !isArea(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark area(s): ${unknown.join(', ')}; known: ${AREAS.join(', ')}`);
  process.exit(2);
}
const rows: BenchRow[] = [];
for (const area of asked.length > 0 ? asked.filter(isArea) : [...AREAS]) {
  const started = performance.now();
  const mod = (await import(`./${area}.ts`)) as { rows: () => Promise<BenchRow[]> };
  rows.push(...(await mod.rows()));
  console.error(`${area}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
report(rows);
