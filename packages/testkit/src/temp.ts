import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Makes a fresh directory under the system's temporary folder and removes it, with everything in
 * it, when the current test finishes. Call it inside a test.
 * @param prefix the start of the directory's name, to tell whose it is when one is left behind.
 * @example const dir = await tempDir('socketlab-ex06-');
 */
export async function tempDir(prefix = 'socketlab-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
