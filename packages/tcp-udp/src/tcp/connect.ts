/**
 * Waiting, bounded, for a stream socket to connect: what `connectFramed` and `connectUnix` share.
 * Not public: sibling areas import it through this area's index.
 */
import type net from 'node:net';
import { ConnectionError, TimeoutError } from '../errors.ts';

/**
 * Resolves once `socket` connects. Rejects with `TCPUDP_ERR_TIMEOUT` after `timeoutMs` (the
 * socket is destroyed), or with `TCPUDP_ERR_CONNECTION` saying `could not connect to <where>:
 * <explain(error)>` when it fails, keeping the socket's error as `cause`.
 */
export function whenConnected(
  socket: net.Socket,
  where: string,
  timeoutMs: number,
  explain: (error: NodeJS.ErrnoException) => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new TimeoutError(
          'TCPUDP_ERR_TIMEOUT',
          `connecting to ${where} took longer than ${timeoutMs} ms`,
          timeoutMs,
        ),
      );
    }, timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(
        new ConnectionError(
          'TCPUDP_ERR_CONNECTION',
          `could not connect to ${where}: ${explain(error)}`,
          { cause: error },
        ),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve();
    });
  });
}
