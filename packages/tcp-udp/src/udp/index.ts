/**
 * UDP request/response (T3) and broadcast/multicast (T12): envelope, retries, response cache, server, client.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export { bindUdpSocket } from './bind.ts';
export {
  createUdpClient,
  type UdpClient,
  type UdpClientOptions,
  type UdpClientStats,
  udpRequest,
} from './client.ts';
export {
  decodeUdpMessage,
  encodeUdpMessage,
  UDP_MAX_REQUEST_ID,
  UDP_MESSAGE_HEADER_BYTES,
  UDP_MESSAGE_TYPES,
  type UdpMessage,
  type UdpMessageType,
} from './message.ts';
export {
  isMulticastAddress,
  joinUdpMulticastGroup,
  listenUdpBroadcast,
  openUdpBroadcaster,
  openUdpMulticastSender,
  probeUdpBroadcast,
  probeUdpMulticast,
  type UdpBroadcasterOptions,
  type UdpDatagramSource,
  type UdpDeliveryProbe,
  type UdpGroupSender,
  type UdpListening,
  type UdpMulticastReceiverOptions,
  type UdpMulticastSenderOptions,
} from './multicast.ts';
export {
  UDP_RETRY_DEFAULTS,
  type UdpRetryPolicy,
  udpRetrySchedule,
} from './retry.ts';
export {
  createUdpServer,
  type UdpHandler,
  type UdpPeer,
  type UdpServer,
  type UdpServerOptions,
  type UdpServerStats,
} from './server.ts';
