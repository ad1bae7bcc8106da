import dgram from 'node:dgram';
import { onTestFinished } from 'vitest';
import { decodeUdpMessage, encodeUdpMessage, type UdpMessage } from '../../src/udp/message.ts';

/** What a scripted server does with the n-th request it receives (n from 1): datagrams to send back. */
export type UdpScript = (request: UdpMessage, n: number) => Uint8Array[];

/**
 * A misbehaving UDP server for tests: it decodes each request and answers with whatever the
 * script returns (nothing = a drop; twice = a duplicate; another id = a stale answer).
 */
export async function startScriptedUdpServer(
  script: UdpScript,
  host = '127.0.0.1',
): Promise<{ port: number; requests: UdpMessage[] }> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const requests: UdpMessage[] = [];
  socket.on('message', (datagram, rinfo) => {
    const request = decodeUdpMessage(datagram);
    requests.push(request);
    for (const reply of script(request, requests.length))
      socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: socket.address().port, requests };
}

/** The response envelope to `request` carrying `text`, under `id` (default: the request's). */
export function reply(request: UdpMessage, text: string, id = request.id): Buffer {
  return encodeUdpMessage({ type: 'response', id, payload: Buffer.from(text) });
}
