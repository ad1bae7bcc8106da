// Generated from stage.json by `pnpm solution-types`; the honesty check fails when it is stale.
// `pnpm typecheck` proves each solution's module assignable to its starter's declared module.
import type * as Starter01 from '../exercises/01-redis-chat/exercise.ts';
import type * as Solution01 from '../solutions/01-redis-chat/exercise.ts';

/** Compiles only when `Solution` is assignable to `Starter`. */
type Fits<Starter, Solution extends Starter> = [Starter, Solution];

export type SolutionsFitStarters = [Fits<typeof Starter01, typeof Solution01>];
