// Generated from stage.json by `pnpm solution-types`; the honesty check fails when it is stale.
// `pnpm typecheck` proves each solution's module assignable to its starter's declared module.

/** Compiles only when `Solution` is assignable to `Starter`. */
type Fits<Starter, Solution extends Starter> = [Starter, Solution];

export type SolutionsFitStarters = [
];
