import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './ports.ts';
import { startProgram } from './process.ts';

/**
 * What an exercise spec grades, chosen by the `SOCKETLAB_TARGET` environment variable:
 * - `solutions` (the default): the reference answers in `solutions/`;
 * - `exercises`: the learner's files in `exercises/`;
 * - `cmd:<command>`: a program in any language, started with `PORT` set (wire-level specs only);
 * - `addr:<host>:<port>`: a server that is already running (wire-level specs only).
 */
export type Target =
  | { kind: 'solutions' }
  | { kind: 'exercises' }
  | { kind: 'cmd'; command: string }
  | { kind: 'addr'; host: string; port: number };

/** Raised for a `SOCKETLAB_TARGET` that cannot be understood, or used where it cannot apply. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
  readonly code = 'TESTKIT_ERR_TARGET';
}

/** Parses `SOCKETLAB_TARGET` (or the given value). */
export function resolveTarget(value: string | undefined = process.env.SOCKETLAB_TARGET): Target {
  const raw = (value ?? '').trim();
  if (raw === '' || raw === 'solutions') return { kind: 'solutions' };
  if (raw === 'exercises') return { kind: 'exercises' };
  if (raw.startsWith('cmd:')) {
    const command = raw.slice(4).trim();
    if (!command)
      throw new TargetError('SOCKETLAB_TARGET=cmd: needs a command, e.g. cmd:python3 server.py');
    return { kind: 'cmd', command };
  }
  if (raw.startsWith('addr:')) {
    const rest = raw.slice(5).trim();
    const match = /^\[([0-9a-fA-F:]+)\]:(\d+)$/.exec(rest) ?? /^([^:[\]]+):(\d+)$/.exec(rest);
    const port = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new TargetError(
        `SOCKETLAB_TARGET=${raw} is not an address: expected addr:<host>:<port> or addr:[<v6>]:<port>`,
      );
    }
    return { kind: 'addr', host: match[1], port };
  }
  throw new TargetError(
    `SOCKETLAB_TARGET=${raw} is not understood: use solutions, exercises, cmd:<command> or addr:<host>:<port>`,
  );
}

/** A short description of the target for test titles and failure messages. */
export function describeTarget(target: Target = resolveTarget()): string {
  switch (target.kind) {
    case 'solutions':
      return 'the reference solution';
    case 'exercises':
      return 'your exercise';
    case 'cmd':
      return `the command \`${target.command}\``;
    case 'addr':
      return `the server at ${target.host}:${target.port}`;
  }
}

/** True when the target is code in this repository (functions can be imported and called). */
export function isModuleTarget(target: Target = resolveTarget()): boolean {
  return target.kind === 'solutions' || target.kind === 'exercises';
}

/**
 * The folder pair of an exercise spec: `<stage>/exercises/NN-name/exercise.test.ts` grades
 * `<stage>/exercises/NN-name/exercise.ts` or `<stage>/solutions/NN-name/exercise.ts`.
 */
export function exerciseFiles(specUrl: string): {
  exercise: string;
  solution: string;
  lesson: string;
  name: string;
} {
  const specPath = fileURLToPath(specUrl);
  const dir = path.dirname(specPath);
  const name = path.basename(dir);
  const stageDir = path.dirname(path.dirname(dir));
  if (path.basename(path.dirname(dir)) !== 'exercises') {
    throw new TargetError(`${specPath} is not inside an exercises/<name>/ folder`);
  }
  return {
    exercise: path.join(dir, 'exercise.ts'),
    solution: path.join(stageDir, 'solutions', name, 'exercise.ts'),
    lesson: path.join(dir, 'README.md'),
    name,
  };
}

/**
 * Imports the module an exercise spec grades: the learner's starter or the reference solution,
 * as `SOCKETLAB_TARGET` says. Pass the spec's `import.meta.url`.
 * @throws {TargetError} for `cmd:`/`addr:` targets, which only wire-level specs can grade.
 */
export async function loadExercise<T>(
  specUrl: string,
  target: Target = resolveTarget(),
): Promise<T> {
  const files = exerciseFiles(specUrl);
  if (!isModuleTarget(target)) {
    throw new TargetError(
      `${files.name} grades functions, not a program on the wire, so it cannot grade ${describeTarget(target)}. ` +
        'Use SOCKETLAB_TARGET=exercises (or leave it unset for the solutions).',
    );
  }
  const file = target.kind === 'solutions' ? files.solution : files.exercise;
  return (await import(pathToFileURL(file).href)) as T;
}

/** A server being graded, wherever it runs. */
export interface ServerUnderTest {
  readonly host: string;
  readonly port: number;
  /** What is being graded, for messages. */
  readonly description: string;
  /** Stops it (for an `addr:` target, does nothing: we did not start it). */
  close(): Promise<void>;
}

/** What an in-process exercise server looks like to the grader. */
export interface StartedServer {
  port: number;
  close(): Promise<void> | void;
}

/**
 * Starts the server an exercise spec grades over the wire. For `solutions`/`exercises` it imports
 * the module and calls `start` with it (which must listen on 127.0.0.1, port 0); for `cmd:` it runs
 * the command with `PORT` set and waits until it accepts connections; for `addr:` it uses the
 * running server as it is.
 */
export async function startServerUnderTest<T>(
  specUrl: string,
  start: (module: T) => Promise<StartedServer>,
  target: Target = resolveTarget(),
): Promise<ServerUnderTest> {
  const description = describeTarget(target);
  switch (target.kind) {
    case 'solutions':
    case 'exercises': {
      const started = await start(await loadExercise<T>(specUrl, target));
      return {
        host: '127.0.0.1',
        port: started.port,
        description,
        close: async () => {
          await started.close();
        },
      };
    }
    case 'cmd': {
      const port = await freePort('127.0.0.1');
      const program = await startProgram(target.command, { port });
      return { host: program.host, port, description, close: () => program.stop() };
    }
    case 'addr':
      return { host: target.host, port: target.port, description, close: async () => {} };
  }
}
