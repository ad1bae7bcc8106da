export { anyText, assertThrowsOnly, type ErrorClass } from './arbitraries.ts';
export { rejectionOf, type Thrown, thrownBy } from './assert.ts';
export {
  BENCH_QUICK,
  type BenchCase,
  type BenchGroups,
  type BenchRow,
  benchAreas,
  compare,
  compareRounds,
  type MeasureOptions,
  measureOpsPerSecond,
  type RoundsComparison,
  report,
  runBenchGroups,
} from './bench.ts';
export {
  chromiumArgs,
  chromiumPath,
  type LaunchChromiumOptions,
  launchChromium,
  type PageTestSuite,
  pageTestSuite,
} from './browser.ts';
export {
  cutAt,
  describeByteDifference,
  describePieces,
  everySplit,
  fromHex,
  hexdump,
  printable,
  seededBytes,
  toHex,
} from './bytes.ts';
export {
  connectGraded,
  type GradedServerOptions,
  startGradedServer,
} from './graded.ts';
export { checkSourceLayout, type LayoutProblem } from './layout.ts';
export { type Lesson, lessonOf, readHints } from './lesson.ts';
export { ManualClock, type TimerClock } from './manual-clock.ts';
export {
  closeServer,
  connectTcp,
  freePort,
  type LoopbackHost,
  listenOnFreePort,
  listenTestServer,
  type TestServer,
  type TestServerOptions,
} from './ports.ts';
export {
  type InProcessIo,
  ProgramError,
  type RunningProgram,
  runCommandInProcess,
  type SpawnedSource,
  type SpawnSourceOptions,
  type StartProgramOptions,
  spawnForTest,
  spawnSource,
  startProgram,
} from './process.ts';
export { describePublicApi } from './public-api.ts';
export {
  canConnect,
  probeService,
  SERVICES,
  type ServiceName,
  type ServiceProbe,
} from './services.ts';
export {
  describeTarget,
  exerciseFiles,
  isModuleTarget,
  loadExercise,
  resolveTarget,
  type ServerUnderTest,
  type StartedServer,
  startServerUnderTest,
  type Target,
  TargetError,
} from './target.ts';
export { tempDir } from './temp.ts';
export { failOnUncaught, trapUncaughtErrors, type UncaughtTrap } from './uncaught.ts';
export { DEFAULT_WAIT_MS, nextEvent, pollUntil, WaitTimeoutError, withTimeout } from './wait.ts';
export { WireClient, WireError } from './wire.ts';
