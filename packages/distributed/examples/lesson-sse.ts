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

/**
 * Runs `curl -sN` (no buffering) on the stream; `stop()` ends it (the server would keep it open
 * for ever) and resolves with what curl printed. curl's own --max-time bounds a stuck run.
 */
function curl(args: string[]): { stop(): Promise<string> } {
  let printed = '';
  const child = execFile('curl', ['-sN', '--max-time', '20', ...args, url]);
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8');
  });
  const exited = once(child, 'exit');
  return {
    async stop() {
      child.kill();
      await exited;
      return printed.replace(/^date: .*\r\n/im, 'date: …\r\n').replaceAll('\r', '');
    },
  };
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

console.log(`$ curl -sN -i ${url}`);
const live = curl(['-i']);
await once(channel, 'connect');
channel.send({ data: 'hello' });
channel.send({ event: 'price', data: '{"ACME":12.5}' });
channel.send({ data: 'two\nlines' });
await pause(600); // a heartbeat (every 400 ms) goes out meanwhile
console.log(await live.stop());
console.log(`$ curl -sN -H 'Last-Event-ID: demo.1' ${url}`);
const resumed = curl(['-H', 'Last-Event-ID: demo.1']);
await once(channel, 'connect');
await pause(200);
console.log(await resumed.stop());

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
