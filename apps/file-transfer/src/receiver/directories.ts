/**
 * Folders a sender announces, made under the receiver's directory with the same rules stage 2
 * applies to file names: every name checked (`checkSafeName`), every component a real folder,
 * never a symlink, never outside the root.
 */
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { checkSafeName } from '@socketlab/tcp-udp';
import { FtError } from '../errors.ts';

/** The longest name component the receiver accepts (stage 2's default: 255 minus the partial suffix). */
export const RECEIVER_MAX_COMPONENT_BYTES = 229;

/**
 * Checks a `/`-separated name from a sender as the receiver will; returns its components.
 * @throws {FtError} `FT_ERR_UNSAFE_NAME` naming the rule it broke.
 */
export function checkReceivedName(name: string): string[] {
  try {
    return checkSafeName(name, {
      allowSubdirectories: true,
      maxComponentBytes: RECEIVER_MAX_COMPONENT_BYTES,
    });
  } catch (cause) {
    throw new FtError('FT_ERR_UNSAFE_NAME', (cause as Error).message, { cause });
  }
}

/**
 * Makes each announced folder under `root` (parents first, existing ones kept).
 * @throws {FtError} `FT_ERR_UNSAFE_NAME` for a name that breaks a rule, or a component that is a
 *   symlink or a file; nothing past that name is made.
 */
export async function makeReceivedDirectories(
  root: string,
  names: readonly string[],
): Promise<void> {
  const checked = names.map((name) => checkReceivedName(name));
  const made = new Set<string>();
  for (const components of checked) {
    let dir = root;
    for (const component of components) {
      dir = path.join(dir, component);
      if (made.has(dir)) continue;
      const stats = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (!stats) {
        await mkdir(dir, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        const again = await lstat(dir);
        if (again.isSymbolicLink() || !again.isDirectory()) {
          throw new FtError('FT_ERR_UNSAFE_NAME', `${JSON.stringify(dir)} changed under us`);
        }
      } else if (stats.isSymbolicLink() || !stats.isDirectory()) {
        throw new FtError(
          'FT_ERR_UNSAFE_NAME',
          `${JSON.stringify(path.relative(root, dir))} exists and is a symlink or not a folder`,
        );
      }
      made.add(dir);
    }
  }
}
