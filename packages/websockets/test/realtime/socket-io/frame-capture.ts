/**
 * Records the Engine.IO/Socket.IO packets of a real session as they cross the wire: a TCP proxy
 * between a socket.io-client and a server that decodes each direction's WebSocket frames with
 * part 1's own RFC 6455 code (the head readers, `FrameParser`, `MessageAssembler`). Use it with
 * `transports: ['websocket']`, so the whole session is one WebSocket connection.
 */
import net from 'node:net';
import { listenOnFreePort, toHex } from '@socketlab/testkit';
import {
  createRequestHeadReader,
  createResponseHeadReader,
  FrameParser,
  type HeadReader,
  MessageAssembler,
} from '../../../src/index.ts';

/** One WebSocket message: who sent it, and its text or bytes. */
export interface CapturedMessage {
  readonly from: 'client' | 'server';
  readonly text?: string;
  readonly binary?: Buffer;
}

export interface FrameCapture {
  /** The port to connect the client to (it forwards to the upstream server). */
  readonly port: number;
  /** Every data message seen so far, both directions, in the order the proxy saw them. */
  readonly messages: readonly CapturedMessage[];
  close(): Promise<void>;
}

/** One direction of a connection: the HTTP head first, then frames, joined into messages. */
function tap(
  from: 'client' | 'server',
  record: (message: CapturedMessage) => void,
): (chunk: Buffer) => void {
  const head: HeadReader<unknown> =
    from === 'client' ? createRequestHeadReader() : createResponseHeadReader();
  let inHead = true;
  // The client's frames are masked: read them as a server would, and the other way round.
  const parser = new FrameParser({ role: from === 'client' ? 'server' : 'client' });
  const assembler = new MessageAssembler();
  return (chunk) => {
    let bytes: Buffer = chunk;
    if (inHead) {
      const done = head.push(chunk);
      if (!done) return;
      inHead = false;
      bytes = Buffer.from(done.rest);
    }
    // Copy: the parser unmasks in place, and these bytes are also forwarded.
    for (const frame of parser.push(Buffer.from(bytes))) {
      for (const event of assembler.push(frame)) {
        if (event.type === 'text') record({ from, text: event.data });
        else if (event.type === 'binary') record({ from, binary: event.data });
      }
    }
  };
}

/** Starts a capturing proxy on 127.0.0.1, port 0, in front of `127.0.0.1:upstreamPort`. */
export async function startFrameCapture(upstreamPort: number): Promise<FrameCapture> {
  const messages: CapturedMessage[] = [];
  const sockets = new Set<net.Socket>();
  const record = (message: CapturedMessage): void => void messages.push(message);
  const proxy = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', tap('client', record));
    upstream.on('data', tap('server', record));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const { port } = await listenOnFreePort(proxy);
  return {
    port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/**
 * The session as the lesson shows it, one message a line: `→` client to server, `←` server to
 * client, binary as hex. Ids that change every run are masked (`"sid":"<sid>"`, `"pid":"<pid>"`,
 * and the recovery offset Socket.IO appends to a server event as its last argument, `"<offset>"`);
 * only the first ping and pong are kept (later heartbeats fall wherever the clock puts them).
 */
export function transcript(messages: readonly CapturedMessage[]): string[] {
  const lines: string[] = [];
  let pings = 0;
  let pongs = 0;
  for (const { from, text, binary } of messages) {
    const arrow = from === 'client' ? '→' : '←';
    if (binary) {
      lines.push(`${arrow} <binary ${toHex(binary).replace(/(..)(?!$)/g, '$1 ')}>`);
      continue;
    }
    let shown = (text ?? '')
      .replace(/"sid":"[^"]+"/g, '"sid":"<sid>"')
      .replace(/"pid":"[^"]+"/g, '"pid":"<pid>"');
    if (from === 'server' && /^42\[/.test(shown))
      shown = shown.replace(/,"[^"]+"\]$/, ',"<offset>"]');
    if (shown === '2' && pings++ > 0) continue;
    if (shown === '3' && pongs++ > 0) continue;
    lines.push(`${arrow} ${shown}`);
  }
  return lines;
}
