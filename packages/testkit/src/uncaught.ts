import { onTestFinished } from 'vitest';

/**
 * What {@link trapUncaughtErrors} returns: the errors caught so far, and a way to give the
 * process its own handlers back.
 */
export interface UncaughtTrap {
  /** Every error thrown outside a promise chain since the trap was set, oldest first. */
  readonly errors: readonly Error[];
  /** Puts the runner's own `'uncaughtException'` handlers back. Safe to call more than once. */
  restore(): void;
}

/**
 * Catches errors thrown where no test can see them, while one test runs: an `'error'` event that
 * nobody listens for (a reset on a server socket without an `'error'` listener) is thrown from
 * the event loop, kills a real program, and in a test runner surfaces only as an "unhandled
 * error" block after every test has passed. With the trap set, the test that caused it can fail
 * with a hint instead. The runner's own handlers are set aside until {@link UncaughtTrap.restore}.
 * @example
 * const trap = trapUncaughtErrors();
 * onTestFinished(() => trap.restore());
 * // … drive the code under test …
 * expect(trap.errors, 'a socket without an error listener').toEqual([]);
 */
export function trapUncaughtErrors(): UncaughtTrap {
  const saved = process.listeners('uncaughtException');
  const errors: Error[] = [];
  const onError = (error: unknown): void => {
    errors.push(error instanceof Error ? error : new Error(String(error)));
  };
  for (const listener of saved) process.off('uncaughtException', listener);
  process.on('uncaughtException', onError);
  let restored = false;
  return {
    errors,
    restore() {
      if (restored) return;
      restored = true;
      process.off('uncaughtException', onError);
      for (const listener of saved) process.on('uncaughtException', listener);
    },
  };
}

/**
 * Sets {@link trapUncaughtErrors} for the rest of the current test and, when the test finishes,
 * fails it if anything was thrown from the event loop, with `hint` (what to fix, and where to
 * read about it). For specs that run the learner's server in the test's own process: a program
 * started elsewhere just dies, and the next connection is refused.
 * @example if (isModuleTarget()) failOnUncaught(`Give every socket an 'error' listener. ${lesson.see('Errors')}`);
 */
export function failOnUncaught(hint: string): UncaughtTrap {
  const trap = trapUncaughtErrors();
  onTestFinished(() => {
    trap.restore();
    const [first] = trap.errors;
    if (first) {
      const code = (first as Error & { code?: unknown }).code;
      throw new Error(
        `your code threw outside any handler (this would stop the whole program): ${String(code ?? first.name)}: ${first.message}\n${hint}`,
        { cause: first },
      );
    }
  });
  return trap;
}
