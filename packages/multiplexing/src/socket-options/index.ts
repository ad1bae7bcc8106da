export {
  type KernelKeepalive,
  readKernelKeepalive,
} from './kernel.ts';
export { REUSE_PORT_SUPPORTED, supportsReusePort } from './reuse.ts';
export {
  type AppliedSocketOptions,
  applySocketOptions,
  DEFAULT_KEEPALIVE_DELAY_MS,
  KEEPALIVE_MAX_DELAY_MS,
  KEEPALIVE_MAX_PROBES,
  KEEPALIVE_TUNING_SUPPORTED,
  type KeepAliveOptions,
  readSocketOptions,
  type SocketOptionsReading,
  type TcpSocketOptions,
} from './tcp.ts';
export {
  applyUdpSocketOptions,
  readUdpSocketOptions,
  UDP_MAX_BUFFER_BYTES,
  type UdpSocketOptions,
  type UdpSocketOptionsReading,
} from './udp.ts';
