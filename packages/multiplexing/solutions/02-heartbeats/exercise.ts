import { lineCodec } from '@socketlab/tcp-udp';
import type {
  Clock,
  HeartbeatServerOptions,
  RunningHeartbeatServer,
} from '../../exercises/02-heartbeats/exercise.ts';
import {
  createConnectionManager,
  listenManagedTcp,
  systemClock,
} from '../../src/connections/index.ts';

export type { Clock, HeartbeatServerOptions, RunningHeartbeatServer };

/** The real clock: the library's `systemClock` (`performance.now()`, Node's timers, unref'd). */
export const realClock: Clock = systemClock;

/**
 * The heartbeat server on this package's connection manager, which does the watching: its
 * heartbeat timer (PING, misses in a row, cut), its idle timer (notice, then FIN), and
 * `framedSocketTransport`'s heartbeat frames, here the lines `PING` and `PONG` (it answers a
 * client's PING by itself and never passes PING or PONG on as messages). The manager takes the
 * clock as it is: its `ConnectionClock` is the same three methods.
 */
export async function startHeartbeatServer(
  options: HeartbeatServerOptions,
): Promise<RunningHeartbeatServer> {
  const manager = createConnectionManager({
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    maxMissedHeartbeats: options.maxMissedHeartbeats,
    idleTimeoutMs: options.idleTimeoutMs,
    closeTimeoutMs: 500,
    clock: options.clock ?? realClock,
  });
  manager.on('connection', (conn) => {
    conn.on('message', (line) => conn.send(line));
  });
  const { address } = await listenManagedTcp({
    manager,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    codec: lineCodec({ maxFrameBytes: 16 * 1024 }),
    pingMessage: 'PING',
    pongMessage: 'PONG',
  });
  return {
    port: address.port,
    close: async () => {
      await manager.shutdown({ closeTimeoutMs: 500 });
    },
  };
}
