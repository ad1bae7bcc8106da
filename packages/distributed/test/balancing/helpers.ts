/**
 * What the load-balancing tests share: a probe for nginx (skipped with one line when it is
 * missing, a failure under CI), our own nginx stopped when the test ends, Socket.IO instances that
 * say which one answered, and clients.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import { Server } from 'socket.io';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import {
  type BalancerEndpoint,
  findNginx,
  type NginxProcess,
  nginxStreamModule,
  type StartNginxOptions,
  startNginx,
} from '../../src/balancing/index.ts';

const isCi = (): boolean => process.env.CI === 'true';

/** Whether nginx (with its stream module) is here; like testkit's `probeService`. */
export async function probeNginx(): Promise<{ skip: boolean; missing: string; require(): void }> {
  let missing = '';
  try {
    await nginxStreamModule(findNginx());
  } catch (error) {
    missing = `${(error as Error).message}; the load-balancing tests start their own nginx on loopback ports`;
  }
  const skip = missing !== '' && !isCi();
  if (skip) console.warn(`skipped: ${missing}`);
  return {
    skip,
    missing,
    require() {
      if (missing !== '') throw new Error(`${missing} (CI=true: a missing tool is a failure)`);
    },
  };
}

/** Our own nginx, stopped when the test ends. */
export async function balancer(options: StartNginxOptions): Promise<NginxProcess> {
  const lb = await startNginx(options);
  onTestFinished(() => lb.stop());
  return lb;
}

/** A Socket.IO instance on 127.0.0.1:0 that answers `who` with its index. */
export interface Instance extends BalancerEndpoint {
  readonly index: number;
  readonly io: Server;
  /** Socket.IO requests (polling and upgrades) this instance has served. */
  requests: number;
  /** Closes it at once: its clients' connections drop. */
  close(): Promise<void>;
}

/**
 * `count` Socket.IO instances, closed when the test ends. The default heartbeat is one a loaded CI
 * machine keeps: at 300/300 ms a polling client behind nginx, its pong one more proxied POST,
 * missed the deadline and its next `who` failed with "socket has been disconnected". A test that
 * waits on the heartbeat to notice a lost instance passes a short one.
 */
export async function instances(
  count: number,
  heartbeat: { pingInterval: number; pingTimeout: number } = {
    pingInterval: 2_000,
    pingTimeout: 10_000,
  },
): Promise<Instance[]> {
  const list: Instance[] = [];
  for (let index = 0; index < count; index++) {
    const http = createServer();
    const io = new Server(http, heartbeat);
    io.on('connection', (socket) => {
      socket.on('who', (ack: (index: number) => void) => ack(index));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const instance: Instance = {
      index,
      io,
      host: '127.0.0.1',
      port: (http.address() as AddressInfo).port,
      requests: 0,
      close: () => new Promise((resolve) => io.close(() => resolve())),
    };
    http.prependListener('request', () => {
      instance.requests += 1;
    });
    http.prependListener('upgrade', () => {
      instance.requests += 1;
    });
    onTestFinished(() => instance.close());
    list.push(instance);
  }
  return list;
}

/** The endpoints of `list`, for nginx's upstreams. */
export const endpoints = (list: readonly BalancerEndpoint[]): BalancerEndpoint[] =>
  list.map(({ host, port }) => ({ host, port }));

/**
 * A socket.io-client through the balancer (polling first, then the upgrade, as a browser does),
 * disconnected when the test ends; resolves once connected, rejects with the connect error. Keeps
 * cookies (`withCredentials`), as a browser would.
 */
export function client(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<Socket> {
  return connectSocketIo(url, `a Socket.IO client to connect through ${url}`, {
    transports: ['polling', 'websocket'],
    withCredentials: true,
    ...options,
  });
}

/** The instance indexes that answer `count` `who` calls in a row on `socket`. */
export async function answers(socket: Socket, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push(await socket.timeout(2_000).emitWithAck('who'));
  return seen;
}
