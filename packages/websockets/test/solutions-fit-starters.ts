// Generated from stage.json by `pnpm solution-types`; the honesty check fails when it is stale.
// `pnpm typecheck` proves each solution's module assignable to its starter's declared module.
import type * as Starter01 from '../exercises/01-handshake/exercise.ts';
import type * as Starter02 from '../exercises/02-parse-frame/exercise.ts';
import type * as Starter03 from '../exercises/03-reassemble/exercise.ts';
import type * as Solution01 from '../solutions/01-handshake/exercise.ts';
import type * as Solution02 from '../solutions/02-parse-frame/exercise.ts';
import type * as Solution03 from '../solutions/03-reassemble/exercise.ts';

/** Compiles only when `Solution` is assignable to `Starter`. */
type Fits<Starter, Solution extends Starter> = [Starter, Solution];

export type SolutionsFitStarters = [
  Fits<typeof Starter01, typeof Solution01>,
  Fits<typeof Starter02, typeof Solution02>,
  Fits<typeof Starter03, typeof Solution03>,
];
