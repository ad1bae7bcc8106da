export * from './binary-struct.ts';
export * from './binary-struct-schema.ts';
export * from './errors.ts';
export * from './file-receiver.ts';
export * from './file-receiver-options.ts';
export { partialFileName } from './file-receiver-store.ts';
export * from './file-sender.ts';
export * from './file-transfer-codec.ts';
export {
  type FileTransferFs,
  type FileTransferHandle,
  type FileTransferStats,
  nodeFileTransferFs,
  toFileSystemError,
} from './file-transfer-fs.ts';
export * from './file-transfer-protocol.ts';
export * from './frame-codec.ts';
export * from './framed-echo-server.ts';
export * from './framed-socket.ts';
export * from './framing-name.ts';
export * from './impaired-link.ts';
export * from './impaired-tcp.ts';
export * from './impairment.ts';
export * from './length-prefix.ts';
export * from './line-chat.ts';
export * from './line-chat-protocol.ts';
export * from './line-codec.ts';
export * from './prng.ts';
export * from './reliable-congestion.ts';
export * from './reliable-connection.ts';
export * from './reliable-packet.ts';
export * from './reliable-receiver.ts';
export * from './reliable-rtt.ts';
export * from './reliable-sender.ts';
export * from './reliable-server.ts';
export * from './reliable-socket.ts';
export * from './safe-path.ts';
export * from './serialization-json.ts';
export * from './serialization-text.ts';
export * from './serialization-text-typed.ts';
export * from './sha256-hasher.ts';
export * from './tcp-client.ts';
export * from './tcp-connection.ts';
export * from './tcp-errors.ts';
export * from './tcp-server.ts';
export * from './tcp-time-wait.ts';
export * from './tftp-client.ts';
export * from './tftp-netascii.ts';
export * from './tftp-packet.ts';
export * from './tftp-server.ts';
export * from './tftp-transfer.ts';
export * from './udp-client.ts';
export * from './udp-message.ts';
export * from './udp-multicast.ts';
export * from './udp-retry.ts';
export * from './udp-server.ts';
export * from './unix-path.ts';
export * from './unix-socket.ts';
