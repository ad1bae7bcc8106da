/**
 * Socket failures explained (B10): every errno a socket program meets, what it means here, what to do next.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export {
  type FailureSide,
  LIBRARY_FAILURES,
  SYSTEM_FAILURES,
} from './catalog.ts';
export {
  connectWithTimeout,
  countOpenSockets,
  type Explanation,
  explainSocketError,
  formatExplanation,
  readWithTimeout,
} from './explain.ts';
