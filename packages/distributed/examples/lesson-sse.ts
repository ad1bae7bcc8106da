/**
 * What lessons/webhooks-and-sse.md shows, printed on this machine: an SSE stream's bytes as
 * curl sees them (events, a heartbeat), a resume with Last-Event-ID, and a webhook delivery as
 * its receiver gets and verifies it.
 *   pnpm exec tsx examples/lesson-sse.ts
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSseChannel, verifyWebhook, WebhookSender } from '../src/index.ts';

const channel = createSseChannel({ idPrefix: 'demo', retryMs: 2000, heartbeatMs: 400 });
const secret = 'whsec-lesson-0123456789abcdef';
let webhook = '';
const server = createServer((req, res) => {
  if (req.url === '/events') return channel.handle(req, res);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const verified = verifyWebhook(req.headers, raw, secret);
    const shown = ['content-type', 'webhook-id', 'webhook-attempt', 'webhook-signature'];
    webhook = `${shown.map((h) => `${h}: ${req.headers[h]}`).join('\n')}\n\n${raw}\n\nverifyWebhook → ${JSON.stringify(verified)}`;
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
const url = `http://127.0.0.1:${port}/events`;

/** curl -N (no buffering) for 0.6 s: the server would keep the stream open for ever. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve) =>
    execFile('curl', ['-sN', '--max-time', '0.6', ...args, url], (_, stdout) =>
      resolve(stdout.replace(/^date: .*\r\n/im, 'date: …\r\n').replaceAll('\r', '')),
    ),
  );
}

console.log(`$ curl -sN -i ${url}`);
const live = curl(['-i']);
await once(channel, 'connect');
channel.send({ data: 'hello' });
channel.send({ event: 'price', data: '{"ACME":12.5}' });
channel.send({ data: 'two\nlines' });
console.log(await live);
console.log(`$ curl -sN -H 'Last-Event-ID: demo.1' ${url}`);
console.log(await curl(['-H', 'Last-Event-ID: demo.1']));

const sender = new WebhookSender({ secrets: secret });
await sender.send(
  `http://127.0.0.1:${port}/hooks`,
  'invoice.paid',
  { invoice: 42 },
  { id: 'evt_1' },
);
console.log('A webhook, as its receiver got it:\n');
console.log(webhook);
sender.close();
channel.close();
server.close();
