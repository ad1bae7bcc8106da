/**
 * `pnpm solution-types`: writes each stage's type test (test/solutions-fit-starters.ts) from its
 * stage.json. The stage's typecheck then proves every solution's module assignable to its
 * starter's declared module; the honesty check fails when a file is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { solutionTypesFile, solutionTypesSource } from './lib/solution-types.ts';
import { ROOT, readStages } from './lib/workspace.ts';

for (const stage of readStages()) {
  const file = solutionTypesFile(stage);
  writeFileSync(file, solutionTypesSource(stage));
  console.log(`wrote ${path.relative(ROOT, file)}`);
}
