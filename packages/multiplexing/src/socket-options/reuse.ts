/**
 * Whether this Node.js honours `reusePort` in `server.listen()` (`SO_REUSEPORT`: several
 * listening sockets on one port, the kernel spreading new connections among them). Added in
 * Node 23.1 and 22.12; older versions ignore the option silently, so a second server on the port
 * fails with `EADDRINUSE`. `SO_REUSEADDR` needs no option: libuv sets it on every TCP listening
 * socket, which is why a server restarts at once on a port whose old connections sit in TIME-WAIT.
 */
export const REUSE_PORT_SUPPORTED: boolean = supportsReusePort(process.versions.node);

/**
 * Whether Node `version` (`"22.12.0"`) honours `reusePort` in `listen()`.
 * @example supportsReusePort(process.versions.node); // false on Node 20
 */
export function supportsReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
