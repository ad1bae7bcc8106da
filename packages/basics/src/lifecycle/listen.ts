import type net from 'node:net';
import { BasicsError } from '../errors.ts';

/**
 * Starts `server` listening (`bind()` then `listen()` in the BSD API) and resolves once it
 * accepts connections, with the address the kernel bound: read the chosen port from it when you
 * asked for port 0, or the path of a Unix socket. Rejects with the error `listen` raised
 * (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, …), unchanged: wrap it in your own error type; or
 * with a `BasicsError` `BASICS_ERR_CONNECTION` when the server was closed before it could report
 * its address.
 * The one-shot listeners it adds are removed either way, so a later `'error'` is the server's own
 * to handle.
 * @example
 * const server = net.createServer(onConnection);
 * const { port } = await listenServer(server, { host: '127.0.0.1', port: 0 });
 */
export function listenServer(
  server: net.Server,
  options: net.ListenOptions & { path: string },
): Promise<string>;
export function listenServer(
  server: net.Server,
  options: net.ListenOptions,
): Promise<net.AddressInfo>;
export function listenServer(
  server: net.Server,
  options: net.ListenOptions,
): Promise<net.AddressInfo | string> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      // null only once closed: a close() from a 'listening' listener that ran before this one.
      if (address === null)
        reject(
          new BasicsError(
            'BASICS_ERR_CONNECTION',
            'the server was closed as soon as it listened, so it has no address to report',
          ),
        );
      else resolve(address);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options);
  });
}
