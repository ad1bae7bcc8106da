export { type H2EventStream, openH2EventStream } from './event-stream.ts';
export { pushResource, sendEarlyHints } from './hints.ts';
export {
  H2_SERVER_DEFAULTS,
  type H2Server,
  type H2ServerOptions,
  type H2StreamHandler,
  listenH2,
  readH2Body,
} from './server.ts';
