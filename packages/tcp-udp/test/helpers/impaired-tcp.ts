import type net from 'node:net';
import { connectTcp } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import {
  type ImpairedTcpProxy,
  type ImpairedTcpProxyOptions,
  listenImpairedTcpProxy,
} from '../../src/impaired/tcp-proxy.ts';

/** An impaired TCP proxy in front of 127.0.0.1:`port`, closed when the test finishes. */
export async function startProxy(
  options: Omit<ImpairedTcpProxyOptions, 'target'>,
  port: number,
): Promise<ImpairedTcpProxy> {
  const proxy = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port }, ...options });
  onTestFinished(() => proxy.close());
  return proxy;
}

/** A TCP connection to 127.0.0.1:`port`, destroyed when the test finishes. */
export async function connect(port: number): Promise<net.Socket> {
  const socket = await connectTcp(port);
  onTestFinished(() => {
    socket.destroy();
  });
  return socket;
}
