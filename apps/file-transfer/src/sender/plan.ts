/**
 * What a sender will send: the paths on the command line walked into files and folders, each
 * with the `/`-separated name the receiver sees. Folders keep their structure (empty ones too);
 * a symlink inside a folder is sent as the file it points to only when that file is inside the
 * same folder: symlinks are never followed out of the tree, nor into folders (no loops).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { FtError } from '../errors.ts';
import { checkReceivedName } from '../receiver/directories.ts';

/** One file to send. */
export interface PlannedFile {
  /** Where it is on this machine. */
  path: string;
  /** The name the receiver gets, e.g. `photos/2024/cat.jpg`. */
  name: string;
  size: number;
  mode: number;
}

/** Everything one `send` will do. */
export interface TransferPlan {
  files: PlannedFile[];
  /** Every folder, parents first, empty ones included. */
  directories: string[];
  /** What was left out, and why (symlinks out of the tree, sockets, devices). */
  leftOut: { path: string; why: string }[];
  bytes: number;
}

const inside = (root: string, target: string): boolean => {
  const relative = path.relative(root, target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

/**
 * Walks `paths` (files or folders) into a {@link TransferPlan}. Folder entries are sorted by
 * name, so two runs send in the same order.
 * @throws {FtError} `FT_ERR_SOURCE` for a path that cannot be read or two that would arrive
 *   under the same name; `FT_ERR_UNSAFE_NAME` for a name the receiver would refuse.
 */
export async function planTransfer(paths: readonly string[]): Promise<TransferPlan> {
  const plan: TransferPlan = { files: [], directories: [], leftOut: [], bytes: 0 };
  const names = new Set<string>();
  const claim = (name: string, source: string): void => {
    checkReceivedName(name);
    if (names.has(name)) {
      throw new FtError(
        'FT_ERR_SOURCE',
        `two paths would arrive as ${JSON.stringify(name)} (${source})`,
      );
    }
    names.add(name);
  };
  const addFile = (file: string, name: string, stats: { size: number; mode: number }): void => {
    claim(name, file);
    plan.files.push({ path: file, name, size: stats.size, mode: stats.mode & 0o777 });
    plan.bytes += stats.size;
  };
  const walk = async (dir: string, name: string, root: string): Promise<void> => {
    claim(name, dir);
    plan.directories.push(name);
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const child = `${name}/${entry.name}`;
      if (entry.isDirectory()) await walk(full, child, root);
      else if (entry.isFile()) addFile(full, child, await stat(full));
      else if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        const stats = target === undefined ? undefined : await stat(target);
        if (target !== undefined && stats?.isFile() && inside(root, target)) {
          addFile(full, child, stats);
        } else {
          plan.leftOut.push({
            path: full,
            why: stats?.isDirectory()
              ? 'a symlink to a folder (not followed)'
              : 'a symlink out of the folder or dangling (not followed)',
          });
        }
      } else plan.leftOut.push({ path: full, why: 'not a regular file or folder' });
    }
  };
  for (const given of paths) {
    // A path named on the command line is followed, as scp and cp do.
    const stats = await stat(given).catch((cause: NodeJS.ErrnoException) => {
      throw new FtError(
        'FT_ERR_SOURCE',
        `cannot read ${JSON.stringify(given)}: ${cause.code ?? cause.message}`,
        { cause },
      );
    });
    const name = path.basename(path.resolve(given));
    if (stats.isDirectory()) await walk(given, name, await realpath(given));
    else if (stats.isFile()) addFile(given, name, stats);
    else throw new FtError('FT_ERR_SOURCE', `${JSON.stringify(given)} is not a file or a folder`);
  }
  return plan;
}
