import type {
  ConflatedSink,
  ConflatingBufferOptions,
  ConflationStats,
  OfferResult,
  StreamingClock,
} from '../../exercises/04-conflating-feed/exercise.ts';

/**
 * The library's buffer and pump (src/streaming/): a Map keeps each dirty key's place while its
 * value is replaced, delivery times are kept only inside the window, and the pump checks
 * `writableNeedDrain` before every batch.
 */
export { ConflatingBuffer, writeConflated } from '../../src/index.ts';
export type {
  ConflatedSink,
  ConflatingBufferOptions,
  ConflationStats,
  OfferResult,
  StreamingClock,
};
