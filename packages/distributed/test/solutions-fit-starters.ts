// Generated from stage.json by `pnpm solution-types`; the honesty check fails when it is stale.
// No exercise yet: once stage.json lists one, this proves each solution fits its starter.
export type SolutionsFitStarters = [];
