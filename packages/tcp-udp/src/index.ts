export * from './chat/protocol.ts';
export * from './chat/server.ts';
export * from './errors.ts';
export * from './file-transfer/codec.ts';
export {
  type FileTransferFs,
  type FileTransferHandle,
  type FileTransferStats,
  nodeFileTransferFs,
  toFileSystemError,
} from './file-transfer/fs.ts';
export * from './file-transfer/protocol.ts';
export * from './file-transfer/receiver.ts';
export * from './file-transfer/receiver-options.ts';
export { partialFileName } from './file-transfer/receiver-store.ts';
export * from './file-transfer/safe-path.ts';
export * from './file-transfer/sender.ts';
export * from './file-transfer/sha256-hasher.ts';
export * from './framing/codec.ts';
export * from './framing/echo-server.ts';
export * from './framing/length-prefix.ts';
export * from './framing/line-codec.ts';
export * from './framing/name.ts';
export * from './framing/socket.ts';
export * from './impaired/impairment.ts';
export * from './impaired/prng.ts';
export * from './impaired/tcp-proxy.ts';
export * from './impaired/udp-link.ts';
export * from './reliable/congestion.ts';
export * from './reliable/connection.ts';
export * from './reliable/packet.ts';
export * from './reliable/receiver.ts';
export * from './reliable/rtt.ts';
export * from './reliable/sender.ts';
export * from './reliable/server.ts';
export * from './reliable/socket.ts';
export * from './serialization/json.ts';
export * from './serialization/struct.ts';
export * from './serialization/struct-schema.ts';
export * from './serialization/text.ts';
export * from './serialization/text-typed.ts';
export * from './tcp/client.ts';
export * from './tcp/connection.ts';
export * from './tcp/errors.ts';
export * from './tcp/server.ts';
export * from './tcp/time-wait.ts';
export * from './tftp/client.ts';
export * from './tftp/netascii.ts';
export * from './tftp/packet.ts';
export * from './tftp/server.ts';
export * from './tftp/transfer.ts';
export * from './udp/client.ts';
export * from './udp/message.ts';
export * from './udp/multicast.ts';
export * from './udp/retry.ts';
export * from './udp/server.ts';
export * from './unix/path.ts';
export * from './unix/socket.ts';
