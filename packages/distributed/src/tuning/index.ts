/** Tuning socket servers (D9): other areas import this area only through this file. */
export {
  listenTuned,
  type SocketTuning,
  TUNING_DEFAULTS,
  type TunedServer,
  type TunedServerOptions,
  tuneSocket,
} from './tune-socket.ts';
