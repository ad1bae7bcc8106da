/**
 * Where a received file lives on disk, in one place for every way in (the `receive` command and
 * the browser upload page): the name checked as the receiver checks it, the final path under the
 * folder, and the hidden partial file (stage 2's `partialFileName`, named after the file and its
 * SHA-256, so a resume only ever continues the same file; a file announced without its hash
 * writes a hash-less partial, taken over by the next announcement and checked end to end). A file appears under its final name
 * only complete and verified: stage 2 links (or, with overwrite, renames) the partial into place.
 */
import path from 'node:path';
import { partialFileName } from '@socketlab/tcp-udp';
import { checkReceivedName } from './directories.ts';

/**
 * The final and partial paths of a received file.
 * @param root - The receiving folder (absolute).
 * @param name - The `/`-separated name the sender gave.
 * @param sha256 - The file's SHA-256 in lowercase hex, as announced; absent when it follows the
 *   body (the partial then has sixteen zeros in its place).
 * @throws {FtError} `FT_ERR_UNSAFE_NAME` for a name the receiver refuses.
 * @example receivedFilePaths('/in', 'a/b.txt', hash) // { final: '/in/a/b.txt', partial: '/in/a/.b.txt.<16 hex>.partial' }
 */
export function receivedFilePaths(
  root: string,
  name: string,
  sha256?: string,
): { final: string; partial: string } {
  const components = checkReceivedName(name);
  const base = components[components.length - 1] as string;
  const dir = path.join(root, ...components.slice(0, -1));
  return { final: path.join(dir, base), partial: path.join(dir, partialFileName(base, sha256)) };
}
