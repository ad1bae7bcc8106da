import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nextEvent, withTimeout } from '@socketlab/testkit';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { onTestFinished } from 'vitest';

/** One line of the Prometheus text format: `name{label="value",…} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format (comments skipped, label escapes undone). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = match[2]?.slice(1, -1) ?? '';
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    for (let m = label.exec(body); m !== null; m = label.exec(body)) {
      labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include all of `labels`. */
export function find(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one sample `name` with `labels`, or a failure naming what was there. */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = find(samples, name, labels);
  if (found.length !== 1) {
    throw new Error(
      `${found.length} samples ${name} ${JSON.stringify(labels)}; there are: ${JSON.stringify(find(samples, name))}`,
    );
  }
  return (found[0] as Sample).value;
}

/** GETs `url` and parses it, checking the status and the content type on the way. */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await withTimeout(fetch(url), `GET ${url}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) {
    throw new Error(`GET ${url}: content-type ${res.headers.get('content-type')}`);
  }
  return parsePrometheusText(text);
}

/** A Socket.IO server on 127.0.0.1, port 0, closed when the test ends; `accepted` holds its sockets. */
export async function startSocketIo() {
  const http = createServer();
  const io = new Server(http);
  onTestFinished(() => new Promise<void>((r) => io.close(() => r())));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  const accepted: ServerSocket[] = [];
  io.on('connection', (socket) => accepted.push(socket));
  /** A connected client (websocket only), disconnected when the test ends. */
  const client = async (): Promise<ClientSocket> => {
    const socket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
    onTestFinished(() => {
      socket.disconnect();
    });
    await nextEvent(socket as never, 'connect');
    return socket;
  };
  return { io, port, accepted, client };
}
