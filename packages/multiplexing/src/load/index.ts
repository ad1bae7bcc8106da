/**
 * The load generator (M5): a constant-rate schedule over N connections (framed TCP, or any
 * transport through a connector), latency percentiles from HDR histograms, coordinated omission
 * corrected as wrk2 does.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  createReplyQueue,
  type LoadConnection,
  type LoadConnector,
  type ReplyQueue,
} from './connection.ts';
export type { LatencySummary } from './latency.ts';
export { LOAD_MIN_MESSAGE_BYTES } from './message.ts';
export { LOAD_DEFAULTS, type LoadOptions } from './options.ts';
export {
  formatLoadProgress,
  formatLoadReport,
  type LoadProgress,
  type LoadReport,
  type LoadStop,
} from './report.ts';
export { runLoad } from './run.ts';
