import type { Diagnosis } from '../../exercises/05-failures/exercise.ts';
import { explainSocketError } from '../../src/failures/explain.ts';

export { connectWithTimeout, type FailureSide as Side } from '../../src/failures/explain.ts';
export type { Diagnosis };

/**
 * Says what a socket error means. `explainSocketError` already follows the cause chain and knows
 * every code; a diagnosis is its short form, with the first next step as the advice.
 */
export function diagnose(err: unknown): Diagnosis {
  const { code, side, retryable, nextSteps, what } = explainSocketError(err);
  return { code, side, retryable, advice: nextSteps[0] ?? what };
}
