// Generated from stage.json by `pnpm solution-types`; the honesty check fails when it is stale.
// `pnpm typecheck` proves each solution's module assignable to its starter's declared module.
import type * as Starter01 from '../exercises/01-redis-chat/exercise.ts';
import type * as Starter02 from '../exercises/02-nats-bridge/exercise.ts';
import type * as Starter03 from '../exercises/03-grpc-deadlines/exercise.ts';
import type * as Starter04 from '../exercises/04-conflating-feed/exercise.ts';
import type * as Starter05 from '../exercises/05-notification-service/exercise.ts';
import type * as Solution01 from '../solutions/01-redis-chat/exercise.ts';
import type * as Solution02 from '../solutions/02-nats-bridge/exercise.ts';
import type * as Solution03 from '../solutions/03-grpc-deadlines/exercise.ts';
import type * as Solution04 from '../solutions/04-conflating-feed/exercise.ts';
import type * as Solution05 from '../solutions/05-notification-service/exercise.ts';

/** Compiles only when `Solution` is assignable to `Starter`. */
type Fits<Starter, Solution extends Starter> = [Starter, Solution];

export type SolutionsFitStarters = [
  Fits<typeof Starter01, typeof Solution01>,
  Fits<typeof Starter02, typeof Solution02>,
  Fits<typeof Starter03, typeof Solution03>,
  Fits<typeof Starter04, typeof Solution04>,
  Fits<typeof Starter05, typeof Solution05>,
];
