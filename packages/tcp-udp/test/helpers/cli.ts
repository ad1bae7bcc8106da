import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCommandInProcess } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/main.ts';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the `socketlab-tcp` dispatcher in-process; a server command stops at once. */
export function runInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCommandInProcess(runCli, argv, { signal: AbortSignal.abort() });
}

/** A spawned `socketlab-tcp`: the process, everything it printed so far, and its exit. */
export interface RunningCli {
  child: ChildProcess;
  /** stdout and stderr together, in the order they were read. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Spawns `socketlab-tcp` from its sources, killed when the test ends. Node runs it with tsx as a
 * loader (not the tsx wrapper process), so our signals reach the program itself.
 */
export function spawnCli(args: string[]): RunningCli {
  const child = spawn(
    process.execPath,
    ['--conditions=@socketlab/source', '--import', 'tsx', 'src/cli.ts', ...args],
    { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  // 'close', not 'exit': 'exit' may come before the last of stdout/stderr has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => printed, exited };
}
