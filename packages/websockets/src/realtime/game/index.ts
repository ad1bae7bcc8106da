export { SpatialGrid } from './interest.ts';
export {
  applyMove,
  checkGameInput,
  DEFAULT_GAME_RULES,
  type GameInput,
  type GameRules,
  MAX_INPUT_SEQ,
  type Position as GamePosition,
} from './movement.ts';
export {
  interpolatePosition,
  PredictedPlayer,
  type PredictedPlayerOptions,
} from './prediction.ts';
export {
  createGameServer,
  type GameJoinReply,
  type GameServer,
  type GameServerOptions,
} from './server.ts';
export { GameSimulation } from './simulation.ts';
export {
  applySnapshotDelta,
  decodeSnapshotMessage,
  diffSnapshots,
  type EntityChange,
  encodeSnapshot,
  encodeSnapshotDelta,
  SNAPSHOT_MAX_ENTITIES,
  type Snapshot,
  type SnapshotDelta,
  type SnapshotEntity,
  type SnapshotLimits,
  type SnapshotMessage,
} from './snapshot.ts';
export { SnapshotHistory } from './snapshot-history.ts';
export {
  type AdvanceResult,
  FixedTimestep,
  type FixedTimestepOptions,
  type GameClock,
  realGameClock,
  TickLoop,
  type TickLoopOptions,
} from './tick-loop.ts';
export { GameWorld, type GameWorldOptions, type InputOutcome, type PlayerState } from './world.ts';
