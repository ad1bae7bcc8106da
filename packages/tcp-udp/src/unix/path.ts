/**
 * Checks on a Unix domain socket address before anything is bound: the `sun_path` size limit,
 * NUL bytes, and Linux's abstract namespace. Pure: no I/O.
 */

/**
 * The size of `sun_path` in `struct sockaddr_un` on Linux, in bytes.
 * @see man 7 unix: "#define UNIX_PATH_MAX 108 … char sun_path[108]; /* Pathname *\/"
 */
export const UNIX_SUN_PATH_BYTES = 108;

/** The size of `sun_path` on macOS and the BSDs, in bytes (`sys/un.h`). */
export const UNIX_SUN_PATH_BYTES_BSD = 104;

/**
 * The longest file-system socket path on Linux, in UTF-8 bytes: `sun_path` less a terminating
 * NUL. Linux also takes 108 bytes with no NUL (man 7 unix, BUGS), but not every peer's API can
 * name such a path, so 107 is the portable limit. Node 20 does not refuse a longer path: libuv
 * cuts it to 108 bytes and binds a different name, while `server.address()` reports the long one
 * (Node 24 fails with a bare `EINVAL` instead).
 */
export const UNIX_MAX_PATH_BYTES = UNIX_SUN_PATH_BYTES - 1;

/** A socket address after {@link checkUnixSocketPath}. */
export interface UnixSocketAddress {
  /** The path as given (an abstract name starts with `\0`). */
  readonly path: string;
  /** True for a Linux abstract-namespace name: no file, gone when the last socket closes. */
  readonly abstract: boolean;
  /** The address's size in `sun_path`, in bytes (the abstract name's leading NUL included). */
  readonly bytes: number;
}

/**
 * Checks that `path` can be a Unix socket address on this system, before binding or connecting.
 * A file-system path must be 1 to 107 UTF-8 bytes on Linux (103 on macOS and the BSDs, whose
 * `sun_path` is 104 bytes) with no NUL byte. A name starting with `\0`
 * is in Linux's abstract namespace (no file is made): it may hold up to 108 bytes, leading NUL
 * included, and is refused on other systems.
 *
 * @param path - A file-system path, or `\0name` for an abstract name.
 * @param platform - The operating system. @default process.platform
 * @returns The path, whether it is abstract, and its size in bytes.
 * @throws {TypeError} when `path` is not a string, is empty, holds a NUL byte after its start,
 *   or is abstract on a system other than Linux.
 * @throws {RangeError} when it is longer than `sun_path` allows (107 bytes for a file path, 108
 *   for an abstract name); the message says how long it is and suggests a shorter directory.
 * @see man 7 unix, "Address format" and "Pathname sockets".
 * @example
 * ```ts
 * checkUnixSocketPath('/run/app.sock'); // { path: '/run/app.sock', abstract: false, bytes: 13 }
 * checkUnixSocketPath('\0app'); // { path: '\0app', abstract: true, bytes: 4 }
 * ```
 */
export function checkUnixSocketPath(
  path: string,
  platform: NodeJS.Platform = process.platform,
): UnixSocketAddress {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(
      `a Unix socket path must be a non-empty string, got ${JSON.stringify(path)}`,
    );
  }
  const abstract = path.startsWith('\0');
  if (abstract && platform !== 'linux') {
    throw new TypeError(
      `abstract Unix socket names (starting with \\0) exist only on Linux, not on ${platform}`,
    );
  }
  if (path.indexOf('\0', abstract ? 1 : 0) >= 0) {
    throw new TypeError(`a Unix socket path cannot contain a NUL byte: ${JSON.stringify(path)}`);
  }
  const bytes = Buffer.byteLength(path, 'utf8');
  const sunPath = platform === 'linux' ? UNIX_SUN_PATH_BYTES : UNIX_SUN_PATH_BYTES_BSD;
  const max = abstract ? sunPath : sunPath - 1;
  if (bytes > max) {
    throw new RangeError(
      `the Unix socket ${abstract ? 'name' : 'path'} is ${bytes} bytes; sun_path holds ${sunPath} ` +
        `(${platform === 'linux' ? 'man 7 unix' : 'sys/un.h'}), so the most is ${max}${abstract ? '' : ' plus the terminating NUL'}. ` +
        `Use a shorter directory, such as $XDG_RUNTIME_DIR or /tmp: ${JSON.stringify(path.slice(0, 60))}…`,
    );
  }
  if (abstract && bytes < 2)
    throw new TypeError('an abstract Unix socket name needs at least one character after \\0');
  return { path, abstract, bytes };
}
