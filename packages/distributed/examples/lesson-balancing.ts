/**
 * What lessons/load-balancing.md shows, printed on this machine: the nginx.conf renderNginxConfig
 * writes for three instances (fixed ports, so the text is the same everywhere), then a Socket.IO
 * long-polling session typed by hand through a real nginx (startNginx) in front of three real
 * instances, with no stickiness, with a cookie and with ip_hash, then a WebSocket upgrade
 * with and without the upgrade headers. Lines naming this run's ports or session ids are marked
 * "(this run)"; the rest is the same on every run.
 *   pnpm exec tsx --conditions=@socketlab/source examples/lesson-balancing.ts
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import {
  type BalancerEndpoint,
  renderNginxConfig,
  type Stickiness,
  startNginx,
} from '../src/index.ts';

const three: BalancerEndpoint[] = [3001, 3002, 3003].map((port) => ({ host: '127.0.0.1', port }));
console.log('renderNginxConfig, cookie stickiness, three instances:');
console.log(
  renderNginxConfig({
    prefix: '/tmp/lb',
    http: { listen: { host: '127.0.0.1', port: 8080 }, upstreams: three, stickiness: 'cookie' },
    accessLog: true,
  }),
);
console.log('renderNginxConfig, raw TCP, least_conn:');
console.log(
  renderNginxConfig({
    prefix: '/tmp/lb',
    stream: { listen: { host: '127.0.0.1', port: 9000 }, upstreams: three },
  }),
);

/** Three Socket.IO instances; `last` is the index of the one that got the latest request. */
let last = -1;
const instances = await Promise.all(
  [0, 1, 2].map(async (index) => {
    const http = createServer();
    const io = new Server(http);
    // after the Server: Socket.IO takes over the 'request' listeners it finds when it attaches
    http.prependListener('request', () => {
      last = index;
    });
    http.prependListener('upgrade', () => {
      last = index;
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { io, host: '127.0.0.1', port: (http.address() as AddressInfo).port };
  }),
);
const upstreams = instances.map(({ host, port }) => ({ host, port }));

const hide = (text: string): string => text.replace(/"sid":"[^"]+"/g, '"sid":"…"');

/** One Engine.IO polling request through nginx, printed as sent and as answered. */
async function step(
  base: string,
  method: 'GET' | 'POST',
  sid: string | undefined,
  cookie: string | undefined,
  body?: string,
): Promise<{ text: string; setCookie: string | null }> {
  const query = `/socket.io/?EIO=4&transport=polling${sid === undefined ? '' : '&sid=…'}`;
  const url = `${base}/socket.io/?EIO=4&transport=polling${sid === undefined ? '' : `&sid=${sid}`}`;
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'text/plain' } }),
    ...(cookie === undefined ? {} : { headers: { cookie } }),
  });
  const text = await response.text();
  const setCookie = response.headers.get('set-cookie');
  const sent = `${method.padEnd(4)} ${query}${body === undefined ? '' : ` ${body}`}${cookie === undefined ? '' : ` (${cookie})`}`;
  console.log(`  ${sent.padEnd(63)} → instance ${last}: ${response.status} ${hide(text)}`);
  if (setCookie !== null) console.log(`  ${''.padEnd(63)}   set-cookie: ${setCookie}`);
  return { text, setCookie };
}

/** A polling session by hand: the handshake, the namespace CONNECT, the first poll. */
async function session(base: string, keepCookie: boolean): Promise<void> {
  const open = await step(base, 'GET', undefined, undefined);
  const sid = /"sid":"([^"]+)"/.exec(open.text)?.[1];
  if (sid === undefined) throw new Error(`no sid in ${open.text}`);
  const cookie = keepCookie ? open.setCookie?.split(';')[0] : undefined;
  await step(base, 'POST', sid, cookie, '40');
  await step(base, 'GET', sid, cookie);
}

for (const stickiness of ['none', 'cookie', 'ip-hash'] as Stickiness[]) {
  const lb = await startNginx({ http: { upstreams, stickiness }, accessLog: true });
  try {
    const base = lb.http?.url as string;
    console.log(`\nstickiness '${stickiness}': a polling session typed by hand`);
    await session(base, stickiness === 'cookie');
    if (stickiness !== 'none') {
      console.log(`stickiness '${stickiness}': two more sessions`);
      await session(base, stickiness === 'cookie');
      await session(base, stickiness === 'cookie');
    }
    console.log(`nginx's access log (this run):`);
    for (const line of await lb.accessLog()) console.log(`  ${line}`);
  } finally {
    await lb.stop();
  }
}

/** A WebSocket handshake through nginx: the status and the Upgrade header that came back. */
function upgrade(base: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(`${res.statusCode} ${res.statusMessage}, upgrade: ${res.headers.upgrade}`);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(`${res.statusCode} ${res.statusMessage} ${body}`));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('no answer to the upgrade in 5 s')));
    req.end();
  });
}

console.log(
  '\nGET /socket.io/?EIO=4&transport=websocket with Connection: Upgrade, Upgrade: websocket',
);
for (const websocket of [false, true]) {
  const lb = await startNginx({ http: { upstreams, stickiness: 'cookie', websocket } });
  try {
    const answer = await upgrade(lb.http?.url as string);
    console.log(`  websocket: ${websocket} → instance ${last}: ${answer}`);
  } finally {
    await lb.stop();
  }
}

for (const { io } of instances) io.close();
