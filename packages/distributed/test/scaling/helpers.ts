/**
 * What the scaling tests share: N instances on one Redis with a prefix of their own, clients on
 * each, and a TCP "balancer" that sends each new connection to the instance the test chooses and
 * can hold a reconnecting client until the test lets it through.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import { Redis } from 'ioredis';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import {
  createScaledServer,
  type ScaledServer,
  type ScaledServerOptions,
  type ScalingAdapter,
} from '../../src/scaling/index.ts';

/** A prefix no other test uses; its keys are deleted when the test ends. */
export function uniquePrefix(redisUrl: string): string {
  const prefix = `test-scaling-${randomUUID().slice(0, 8)}`;
  onTestFinished(async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return prefix;
}

/** Starts `count` instances sharing one prefix, each listening on 127.0.0.1 port 0. */
export async function startInstances(
  redisUrl: string,
  adapter: ScalingAdapter,
  count: number,
  options: Partial<ScaledServerOptions> = {},
): Promise<{ instances: (ScaledServer & { url: string })[]; keyPrefix: string }> {
  const keyPrefix = options.keyPrefix ?? uniquePrefix(redisUrl);
  const instances: (ScaledServer & { url: string })[] = [];
  for (let i = 0; i < count; i++) {
    const scaled = await createScaledServer({
      redisUrl,
      adapter,
      keyPrefix,
      streams: { blockTimeInMs: 200 },
      ...options,
    });
    onTestFinished(() => scaled.close());
    await new Promise<void>((resolve) => scaled.io.httpServer.listen(0, '127.0.0.1', resolve));
    const { port } = scaled.io.httpServer.address() as AddressInfo;
    instances.push(Object.assign(scaled, { url: `http://127.0.0.1:${port}` }));
  }
  return { instances, keyPrefix };
}

/** A connected socket.io-client (WebSocket only), disconnected when the test ends. */
export function client(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<Socket> {
  return connectSocketIo(url, `a client to connect to ${url}`, options);
}

/**
 * The first argument of everything `socket` receives as `event` from now on. (With connection
 * state recovery on, a broadcast carries its offset as one more, last, argument.)
 */
export function inbox(socket: Socket, event: string): unknown[] {
  const got: unknown[] = [];
  socket.on(event, (first: unknown) => got.push(first));
  return got;
}

/** The next `event` on a client, bounded. */
export function next(socket: Socket, event: string, what: string): Promise<unknown> {
  let listener: (value: unknown) => void = () => {};
  return withTimeout(
    new Promise<unknown>((resolve) => {
      listener = resolve;
      socket.once(event, listener);
    }),
    what,
  ).finally(() => socket.off(event, listener));
}

/**
 * A TCP front for the instances, as a load balancer would be: each new connection goes to
 * `target`; `cut()` drops every open connection (the client sees its transport close); while
 * `held`, new connections wait, unanswered, until `release()`.
 */
export async function startBalancer(firstTarget: string) {
  let target = new URL(firstTarget);
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((incoming) => {
    connections++;
    incoming.pause();
    sockets.add(incoming);
    incoming.on('error', () => {});
    incoming.on('close', () => sockets.delete(incoming));
    void (gate ?? Promise.resolve()).then(() => {
      if (incoming.destroyed) return;
      const outgoing = net.connect(Number(target.port), target.hostname);
      sockets.add(outgoing);
      outgoing.on('error', () => incoming.destroy());
      outgoing.on('close', () => {
        sockets.delete(outgoing);
        incoming.destroy();
      });
      incoming.on('close', () => outgoing.destroy());
      incoming.pipe(outgoing).pipe(incoming);
      incoming.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const balancer = {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    route(url: string) {
      target = new URL(url);
    },
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open?.();
    },
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    close() {
      balancer.release();
      balancer.cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  onTestFinished(() => balancer.close());
  return balancer;
}
