import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { DEFAULT_WAIT_MS, pollUntil, WaitTimeoutError, withTimeout } from './wait.ts';

/** A program started by a test, listening on a known port. */
export interface RunningProgram {
  readonly host: string;
  readonly port: number;
  /** Everything the program printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Stops the program (SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Raised when a program under test exits early or never starts listening. */
export class ProgramError extends Error {
  override readonly name = 'ProgramError';
  readonly code = 'TESTKIT_ERR_PROGRAM';
}

export interface StartProgramOptions {
  /** Port the program is told to listen on through the `PORT` environment variable. */
  port: number;
  /** Address to probe for readiness. @default '127.0.0.1' */
  host?: string;
  /** How long the program may take to start listening. @default 10000 */
  readyTimeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. @default process.cwd() */
  cwd?: string;
}

/**
 * Starts `command` through the shell with `PORT` (and `HOST`) set, and resolves once a TCP
 * connection to that port succeeds: readiness is observed, never assumed after a delay.
 * If the program exits first, or never listens in time, rejects with what it printed.
 */
export async function startProgram(
  command: string,
  options: StartProgramOptions,
): Promise<RunningProgram> {
  const host = options.host ?? '127.0.0.1';
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const child = spawn(command, {
    shell: true,
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(options.port), HOST: host },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exited = `could not start: ${err.message}`;
      resolve();
    });
  });

  const program: RunningProgram = {
    host,
    port: options.port,
    output: () => printed,
    stop: () => stopChild(child, exitedPromise),
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if (exited !== undefined) {
      throw new ProgramError(
        `\`${command}\` ${exited} before listening on ${host}:${options.port}.\n${describeOutput(printed)}`,
      );
    }
    if (await canConnect(host, options.port)) return program;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(25 * 2 ** Math.min(attempt, 4), 200)),
    );
  }
  await program.stop();
  throw new ProgramError(
    `\`${command}\` did not listen on ${host}:${options.port} within ${readyTimeoutMs} ms ` +
      `(it must read the port from the PORT environment variable).\n${describeOutput(printed)}`,
  );
}

function describeOutput(printed: string): string {
  const trimmed = printed.trim();
  return trimmed ? `It printed:\n${trimmed.slice(-2_000)}` : 'It printed nothing.';
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(DEFAULT_WAIT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const kill = (signal: NodeJS.Signals): void => {
    try {
      // Negative pid: the whole process group, so a shell's children go too.
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}

/** A TypeScript program spawned by {@link spawnSource}. */
export interface SpawnedSource {
  readonly child: ChildProcess;
  /** stdout and stderr together, in the order they were read. */
  output(): string;
  /** stdout alone. */
  stdout(): string;
  /** stderr alone. */
  stderr(): string;
  /** Resolves once the program has exited and its output is all read ('close', not 'exit'). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Waits (bounded by `ms`) for `pattern` to match what the program printed on stdout and returns
   * the match. Rejects at once, quoting stderr, if the program exits first.
   */
  waitForStdout(pattern: RegExp, what: string, ms?: number): Promise<RegExpExecArray>;
}

export interface SpawnSourceOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** `'pipe'` gives the program a stdin the test writes to (`child.stdin`). @default 'ignore' */
  stdin?: 'ignore' | 'pipe';
}

/**
 * Runs a package's TypeScript file as `pnpm start` would, from its sources: `node --import tsx`
 * with the `@socketlab/source` condition, in `packageDir` (whose node_modules must hold tsx).
 * Node itself runs the program, not a wrapper process, so a signal sent to `child` reaches it.
 * The program is killed (SIGKILL) when the current test ends, if it is still running.
 */
export function spawnSource(
  packageDir: string | URL,
  file: string,
  args: readonly string[] = [],
  options: SpawnSourceOptions = {},
): SpawnedSource {
  const child = spawn(
    process.execPath,
    ['--conditions=@socketlab/source', '--import', 'tsx', file, ...args],
    {
      cwd: packageDir instanceof URL ? fileURLToPath(packageDir) : packageDir,
      env: { ...process.env, ...options.env },
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    },
  );
  let printed = '';
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    printed += text;
    out += text;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    printed += text;
    err += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let exitedWith: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((status) => {
    exitedWith = status;
  });
  const waitForStdout = (pattern: RegExp, what: string, ms?: number) =>
    pollUntil(
      () => {
        const match = pattern.exec(out);
        if (match !== null) return match;
        if (exitedWith !== undefined) {
          throw new Error(
            `${file} exited (${exitedWith.signal ?? `code ${exitedWith.code}`}) before printing ${what}; stderr:\n${err.slice(-2_000)}`,
          );
        }
        return undefined;
      },
      what,
      { ms, intervalMs: 25 },
    ).catch((error: unknown) => {
      if (!(error instanceof WaitTimeoutError)) throw error;
      const said =
        err === '' ? 'nothing on stderr' : `stderr: ${JSON.stringify(err.slice(-1_000))}`;
      throw new WaitTimeoutError(`${what} (${said})`, error.ms, error.tries);
    });
  return {
    child,
    output: () => printed,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout,
  };
}

/** What {@link runCommandInProcess} hands a command: the shape of every socketlab command's io. */
export interface InProcessIo {
  out(line: string): void;
  err(line: string): void;
  status?: ((line: string) => void) | undefined;
  signal: AbortSignal;
}

/**
 * Runs a command-line program's entry function (`runCli(argv, io)`) in the test's own process,
 * collecting what it prints: quicker than spawning it, and the test can pass an already-aborted
 * `signal` (a server command then stops at once) or a `status` function (to stand for a terminal).
 * @example const { code, err } = await runCommandInProcess(runCli, ['echo', '--port', 'x']);
 */
export async function runCommandInProcess(
  run: (argv: readonly string[], io: InProcessIo) => Promise<number>,
  argv: readonly string[],
  {
    signal = new AbortController().signal,
    status,
  }: { signal?: AbortSignal | undefined; status?: ((line: string) => void) | undefined } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    out: (line) => {
      out += `${line}\n`;
    },
    err: (line) => {
      err += `${line}\n`;
    },
    status,
    signal,
  });
  return { code, out, err };
}

/**
 * Starts `binary` with `args` (output ignored) for the length of the test: when the test ends it
 * is sent SIGTERM and awaited (at most `stopTimeoutMs`). For a daemon a test runs in the
 * foreground, e.g. nginx with `daemon off;`; wait for it to listen before using it.
 */
export function spawnForTest(
  binary: string,
  args: readonly string[],
  { stopTimeoutMs = DEFAULT_WAIT_MS }: { stopTimeoutMs?: number } = {},
): ChildProcess {
  const child = spawn(binary, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onTestFinished(async () => {
    child.kill('SIGTERM');
    await withTimeout(exited, `${binary} to stop`, stopTimeoutMs);
  });
  return child;
}
