// Generated from stage.json by `pnpm solution-types`; the honesty check fails when it is stale.
// `pnpm typecheck` proves each solution's module assignable to its starter's declared module.
import type * as Starter01 from '../exercises/01-handshake/exercise.ts';
import type * as Starter02 from '../exercises/02-parse-frame/exercise.ts';
import type * as Starter03 from '../exercises/03-reassemble/exercise.ts';
import type * as Starter04 from '../exercises/04-echo-server/exercise.ts';
import type * as Starter05 from '../exercises/05-closing-handshake/exercise.ts';
import type * as Starter06 from '../exercises/06-acks-timeout/exercise.ts';
import type * as Starter07 from '../exercises/07-rooms-chat/exercise.ts';
import type * as Starter08 from '../exercises/08-jwt-middleware/exercise.ts';
import type * as Starter09 from '../exercises/09-token-bucket/exercise.ts';
import type * as Starter10 from '../exercises/10-tick-loop/exercise.ts';
import type * as Starter11 from '../exercises/11-binary-messages/exercise.ts';
import type * as Solution01 from '../solutions/01-handshake/exercise.ts';
import type * as Solution02 from '../solutions/02-parse-frame/exercise.ts';
import type * as Solution03 from '../solutions/03-reassemble/exercise.ts';
import type * as Solution04 from '../solutions/04-echo-server/exercise.ts';
import type * as Solution05 from '../solutions/05-closing-handshake/exercise.ts';
import type * as Solution06 from '../solutions/06-acks-timeout/exercise.ts';
import type * as Solution07 from '../solutions/07-rooms-chat/exercise.ts';
import type * as Solution08 from '../solutions/08-jwt-middleware/exercise.ts';
import type * as Solution09 from '../solutions/09-token-bucket/exercise.ts';
import type * as Solution10 from '../solutions/10-tick-loop/exercise.ts';
import type * as Solution11 from '../solutions/11-binary-messages/exercise.ts';

/** Compiles only when `Solution` is assignable to `Starter`. */
type Fits<Starter, Solution extends Starter> = [Starter, Solution];

export type SolutionsFitStarters = [
  Fits<typeof Starter01, typeof Solution01>,
  Fits<typeof Starter02, typeof Solution02>,
  Fits<typeof Starter03, typeof Solution03>,
  Fits<typeof Starter04, typeof Solution04>,
  Fits<typeof Starter05, typeof Solution05>,
  Fits<typeof Starter06, typeof Solution06>,
  Fits<typeof Starter07, typeof Solution07>,
  Fits<typeof Starter08, typeof Solution08>,
  Fits<typeof Starter09, typeof Solution09>,
  Fits<typeof Starter10, typeof Solution10>,
  Fits<typeof Starter11, typeof Solution11>,
];
