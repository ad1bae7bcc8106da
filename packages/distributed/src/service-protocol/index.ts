export {
  SERVICE_PROTOCOL_DEFAULTS,
  ServiceConnection,
  type ServiceConnectionOptions,
  type ServiceEventHandler,
  type ServiceRequestHandler,
  type ServiceRequestOptions,
} from './connection.ts';
export {
  type ConnectServiceOptions,
  connectService,
  type ListenServiceOptions,
  listenService,
  type ServiceServer,
  ServiceVersionError,
} from './endpoints.ts';
export {
  type DecodedServiceBody,
  defineServiceProtocol,
  SERVICE_MAX_VERSION,
  type ServiceMessage,
  type ServiceMessageDefinition,
  type ServiceProtocol,
  type ServiceProtocolDefinition,
  type ServiceVersionMessages,
} from './registry.ts';
export {
  decodeServiceFrame,
  SERVICE_CLOSE_REASONS,
  SERVICE_FRAME_KINDS,
  SERVICE_PROTOCOL_MAGIC,
  type ServiceCloseReason,
  type ServiceFrame,
} from './wire.ts';
