import dgram from 'node:dgram';
import { checkInteger } from '@socketlab/internal';
import { checkOptionsObject } from './check.ts';

/** The largest buffer size asked for: `int` in `setsockopt`, halved since Linux doubles it. */
export const UDP_MAX_BUFFER_BYTES = 1_073_741_823;

/** Options of {@link applyUdpSocketOptions}; an option left out leaves the socket as it is. */
export interface UdpSocketOptions {
  /**
   * `SO_RCVBUF`: room for datagrams that arrived and were not read yet; past it the kernel drops
   * them. Linux doubles the value asked (the extra half is its bookkeeping) and caps the request at
   * `net.core.rmem_max`. 1 to {@link UDP_MAX_BUFFER_BYTES}.
   * @default unchanged (`net.core.rmem_default`, 212,992 bytes on most Linux systems)
   */
  readonly receiveBufferBytes?: number;
  /**
   * `SO_SNDBUF`: room for datagrams written and not yet sent. Doubled and capped
   * (`net.core.wmem_max`) the same way.
   * @default unchanged (`net.core.wmem_default`)
   */
  readonly sendBufferBytes?: number;
}

/** The buffer sizes the kernel reports for a UDP socket (`getsockopt`, after its doubling). */
export interface UdpSocketOptionsReading {
  readonly receiveBufferBytes: number;
  readonly sendBufferBytes: number;
}

/**
 * Sets a bound `dgram` socket's buffer sizes and reads back what the kernel made of them.
 * (TCP sockets have no such call in Node's `net`: the kernel sizes their buffers itself,
 * `net.ipv4.tcp_rmem`/`tcp_wmem`, growing them as a connection needs.)
 * @param socket - a bound `dgram.Socket` (Node throws `ERR_SOCKET_BUFFER_SIZE` before `bind`)
 * @returns the sizes read back: on Linux twice what was asked, within the caps
 * @throws {TypeError}/{RangeError} a bad size
 * @example applyUdpSocketOptions(socket, { receiveBufferBytes: 1 << 20 }); // reads back 2097152 if rmem_max allows
 */
export function applyUdpSocketOptions(
  socket: dgram.Socket,
  options: UdpSocketOptions,
): UdpSocketOptionsReading {
  if (!(socket instanceof dgram.Socket)) throw new TypeError('socket must be a dgram.Socket');
  checkOptionsObject(options);
  const { receiveBufferBytes, sendBufferBytes } = options;
  if (receiveBufferBytes !== undefined) {
    checkInteger('receiveBufferBytes', receiveBufferBytes, 1, UDP_MAX_BUFFER_BYTES);
  }
  if (sendBufferBytes !== undefined) {
    checkInteger('sendBufferBytes', sendBufferBytes, 1, UDP_MAX_BUFFER_BYTES);
  }
  if (receiveBufferBytes !== undefined) socket.setRecvBufferSize(receiveBufferBytes);
  if (sendBufferBytes !== undefined) socket.setSendBufferSize(sendBufferBytes);
  return readUdpSocketOptions(socket);
}

/**
 * Reads a bound `dgram` socket's buffer sizes as the kernel reports them.
 * @throws Node's `ERR_SOCKET_BUFFER_SIZE` when the socket is not bound yet
 * @example readUdpSocketOptions(socket).receiveBufferBytes; // 212992: net.core.rmem_default
 */
export function readUdpSocketOptions(socket: dgram.Socket): UdpSocketOptionsReading {
  if (!(socket instanceof dgram.Socket)) throw new TypeError('socket must be a dgram.Socket');
  return {
    receiveBufferBytes: socket.getRecvBufferSize(),
    sendBufferBytes: socket.getSendBufferSize(),
  };
}
