/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
export {
  type AdvanceResult,
  applyMove,
  applySnapshotDelta,
  checkGameInput,
  createGameServer,
  DEFAULT_GAME_RULES,
  decodeSnapshotMessage,
  diffSnapshots,
  type EntityChange,
  encodeSnapshot,
  encodeSnapshotDelta,
  FixedTimestep,
  type FixedTimestepOptions,
  type GameClock,
  type GameInput,
  type GameJoinReply,
  type GamePosition,
  type GameRules,
  type GameServer,
  type GameServerOptions,
  GameSimulation,
  GameWorld,
  type GameWorldOptions,
  type InputOutcome,
  interpolatePosition,
  MAX_INPUT_SEQ,
  type PlayerState,
  PredictedPlayer,
  type PredictedPlayerOptions,
  realGameClock,
  SNAPSHOT_MAX_ENTITIES,
  type Snapshot,
  type SnapshotDelta,
  type SnapshotEntity,
  SnapshotHistory,
  type SnapshotLimits,
  type SnapshotMessage,
  SpatialGrid,
  TickLoop,
  type TickLoopOptions,
} from './game/index.ts';
