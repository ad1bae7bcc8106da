/**
 * Is a file name from the network safe to write? A pure check, no file system (T8).
 *
 * A receiver that joins a peer's name onto its directory hands the peer the whole disk:
 * `../../etc/passwd` climbs out, `/etc/passwd` ignores the directory, `a\..\b` climbs out on
 * Windows, `CON` or `nul.txt` open a device on Windows, `name.` and `name ` are silently renamed
 * there. The rule here: the name is one or more `/`-separated components, each a plain name.
 * The symlink half of the problem needs the file system: see `file-transfer/receiver-store.ts`.
 */
import path from 'node:path';
import { checkInteger } from '@socketlab/internal';
import { quoteInput, UnsafePathError } from '../errors.ts';

/** Why a name is refused. */
export type UnsafePathReason =
  | 'empty'
  | 'too-long'
  | 'absolute'
  | 'parent'
  | 'empty-component'
  | 'control-character'
  | 'backslash'
  | 'device-name'
  | 'trailing-dot-or-space'
  | 'subdirectory';

/** Options of {@link checkSafeName}. */
export interface SafeNameOptions {
  /** Accept `a/b/c` (each component checked). @default false */
  allowSubdirectories?: boolean;
  /** The longest component, in bytes of UTF-8 (Linux `NAME_MAX`). @default 255 */
  maxComponentBytes?: number;
  /** The longest whole name, in bytes of UTF-8 (Linux `PATH_MAX`). @default 4096 */
  maxNameBytes?: number;
}

/** The default longest component (`NAME_MAX` on Linux, macOS and Windows' NTFS). */
export const SAFE_NAME_MAX_COMPONENT_BYTES = 255;
/** The default longest name (`PATH_MAX` on Linux). */
export const SAFE_NAME_MAX_NAME_BYTES = 4096;

// CON, PRN, AUX, NUL, COM1-9, LPT1-9, also with an extension ("nul.txt") and any case, also with
// the superscript digits Windows treats the same way (COM¹). @see Microsoft "Naming Files, Paths,
// and Namespaces", https://learn.microsoft.com/windows/win32/fileio/naming-a-file
const DEVICE = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// C0 controls, DEL and C1 controls: invisible in listings, NUL truncates paths in C.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An {@link UnsafePathError} that also says which rule the name broke. */
export type UnsafeNameError = UnsafePathError & { readonly reason: UnsafePathReason };

function refuse(reason: UnsafePathReason, why: string, name: string): UnsafeNameError {
  const error = new UnsafePathError(`unsafe file name ${quoteInput(name)}: ${why}`, name);
  return Object.assign(error, { reason });
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkInteger(name, value, 1);
}

/**
 * Checks a name received from the network and returns it split into components, or throws.
 * @param name - The name as the peer sent it.
 * @returns Its components, e.g. `['photos', 'cat.jpg']`; join them under your own directory.
 * @throws {UnsafePathError} `TCPUDP_ERR_UNSAFE_PATH`, with `reason` ({@link UnsafePathReason}),
 *   for an empty or over-long name, an absolute path, a `..`/`.` or empty component, a control
 *   character (NUL included), a backslash, a Windows device name, a trailing dot or space, or a
 *   subdirectory when `allowSubdirectories` is off.
 * @throws {RangeError} (synchronously) for a bad option.
 * @example checkSafeName('photos/cat.jpg', { allowSubdirectories: true }) // ['photos', 'cat.jpg']
 */
export function checkSafeName(name: string, options: SafeNameOptions = {}): string[] {
  const maxComponent = checkLimit(
    'maxComponentBytes',
    options.maxComponentBytes,
    SAFE_NAME_MAX_COMPONENT_BYTES,
  );
  const maxName = checkLimit('maxNameBytes', options.maxNameBytes, SAFE_NAME_MAX_NAME_BYTES);
  if (typeof name !== 'string' || name.length === 0) throw refuse('empty', 'it is empty', '');
  if (Buffer.byteLength(name, 'utf8') > maxName) {
    throw refuse('too-long', `it is longer than ${maxName} bytes`, name);
  }
  if (CONTROL.test(name)) throw refuse('control-character', 'it holds a control character', name);
  if (name.includes('\\')) throw refuse('backslash', 'it holds a backslash', name);
  if (name.startsWith('/') || /^[a-z]:/i.test(name)) {
    throw refuse('absolute', 'it is an absolute path', name);
  }
  const components = name.split('/');
  for (const component of components) {
    if (component === '') throw refuse('empty-component', 'it has an empty component', name);
    if (component === '.' || component === '..') {
      throw refuse('parent', `it has a ${JSON.stringify(component)} component`, name);
    }
    if (Buffer.byteLength(component, 'utf8') > maxComponent) {
      throw refuse('too-long', `a component is longer than ${maxComponent} bytes`, name);
    }
    if (DEVICE.test(component)) {
      throw refuse('device-name', `${quoteInput(component)} is a Windows device name`, name);
    }
    if (/[. ]$/.test(component)) {
      throw refuse('trailing-dot-or-space', 'a component ends in a dot or a space', name);
    }
  }
  if (components.length > 1 && !options.allowSubdirectories) {
    throw refuse('subdirectory', 'subdirectories are not allowed here', name);
  }
  return components;
}

/**
 * Checks a name ({@link checkSafeName}) and maps it inside `root`.
 * @param root - The receiver's directory (made absolute).
 * @returns The absolute path of the name inside `root`.
 * @throws {UnsafePathError} `TCPUDP_ERR_UNSAFE_PATH`, as {@link checkSafeName}.
 * @example resolveSafePath('/srv/inbox', 'cat.jpg') // '/srv/inbox/cat.jpg'
 */
export function resolveSafePath(root: string, name: string, options: SafeNameOptions = {}): string {
  const components = checkSafeName(name, options);
  const base = path.resolve(root);
  const full = path.join(base, ...components);
  // Belt and braces: the checks above already make this impossible.
  if (path.relative(base, full).startsWith('..') || full === base) {
    throw refuse('parent', 'it resolves outside the directory', name);
  }
  return full;
}
