import net from 'node:net';
import { BasicsError } from '../../src/errors.ts';

export { classifyPort, type PortInfo, type PortRange } from '../../src/addresses/port.ts';

/** Starts a TCP server on `host`, port 0, and resolves with the port the kernel chose. */
export async function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(0, host);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new BasicsError(
      'BASICS_ERR_CONNECTION',
      `expected a TCP address, got ${String(address)}`,
    );
  }
  return { server, port: address.port };
}
