import net from 'node:net';
import { listenServer } from '../../src/lifecycle/listen.ts';

export { classifyPort, type PortInfo, type PortRange } from '../../src/addresses/port.ts';

/**
 * Starts a TCP server on `host`, port 0, and resolves with the port the kernel chose. The
 * library's `listenServer` waits for 'listening' or 'error', whichever comes first.
 */
export async function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  const { port } = await listenServer(server, { host, port: 0 });
  return { server, port };
}
