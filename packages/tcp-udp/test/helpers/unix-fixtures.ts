/**
 * Fixtures for the Unix socket tests: a fresh temporary directory per test (removed after it),
 * and a server that crashes, leaving its socket file behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';

/** A fresh directory for this test, removed when it finishes; short, to stay under sun_path. */
export function unixTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sl-unix-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts a Node process that listens on `path`, waits until it says so, then kills it with
 * SIGKILL: it cannot close its socket, so the file stays with nobody listening, as after a crash.
 */
export async function crashServerAt(path: string): Promise<void> {
  const program = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the crashing server exited early (${code})`)));
  });
  await withTimeout(ready, 'the crashing server to listen', 15_000);
  const exited = nextEvent(child, 'exit', 15_000);
  child.kill('SIGKILL');
  await exited;
}
