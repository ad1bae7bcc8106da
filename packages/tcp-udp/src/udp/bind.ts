/**
 * Binding a UDP socket with the bind failure as a typed error: the one place the UDP and TFTP
 * servers turn EADDRINUSE / EADDRNOTAVAIL / EACCES into `TCPUDP_ERR_CONNECTION`.
 * @internal not re-exported from the package.
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import { ConnectionError } from '../errors.ts';

/**
 * Binds `socket` to `host:port` and resolves with its address.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejected) when the bind fails; `cause` is the system error.
 */
export function bindUdpSocket(
  socket: dgram.Socket,
  port: number,
  host: string,
): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new ConnectionError(
          'TCPUDP_ERR_CONNECTION',
          `cannot bind ${host}:${port}: ${err.message}`,
          {
            cause: err,
          },
        ),
      );
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket.address());
    });
  });
}
