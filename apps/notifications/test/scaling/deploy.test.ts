/**
 * deploy/: the nginx config compose.yaml mounts is one nginx accepts (`nginx -t`), and it really
 * carries the app — REST, Socket.IO over WebSocket and long polling, and an SSE stream unbuffered —
 * once its upstreams (compose's service names) are a local instance on free loopback ports.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findNginx, SseParser } from '@socketlab/distributed';
import {
  canConnect,
  freePort,
  pollUntil,
  spawnForTest,
  tempDir,
  withTimeout,
} from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectInbox } from '../../src/client.ts';
import type { AppNotification } from '../../src/contract.ts';
import { API_KEY, startTestApp } from '../helpers/app.ts';

const DEPLOY = path.join(import.meta.dirname, '..', '..', 'deploy');
const run = promisify(execFile);

const nginx = (() => {
  try {
    return { binary: findNginx(), missing: '' };
  } catch (error) {
    return { binary: '', missing: (error as Error).message };
  }
})();
const skip = nginx.missing !== '' && process.env.CI !== 'true';
if (skip) console.warn(`skipped: ${nginx.missing}`);

/** deploy/nginx.conf with `notifyN:3100` replaced by `port` and its listen port by a free loopback one. */
async function localConfig(port: number) {
  let text = await readFile(path.join(DEPLOY, 'nginx.conf'), 'utf8');
  const named = [...text.matchAll(/server notify(\d):3100/g)].map((m) => Number(m[1]));
  expect(named).toEqual([1, 2, 3]);
  text = text.replace(/notify\d:3100/g, `127.0.0.1:${port}`);
  const httpPort = await freePort();
  text = text.replace('listen 80;', `listen 127.0.0.1:${httpPort};`);
  const dir = await tempDir('notify-nginx-');
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, text);
  const globals = `pid ${dir}/nginx.pid; error_log ${dir}/error.log;`;
  return { file, dir, globals, httpPort };
}

describe.skipIf(skip)('deploy/', () => {
  beforeAll(() => {
    if (nginx.missing !== '') throw new Error(`${nginx.missing} (CI=true: a failure)`);
  });

  it('has an nginx.conf nginx accepts', async () => {
    const { file, dir, globals } = await localConfig(3101);
    const { stderr } = await run(nginx.binary, ['-t', '-p', dir, '-c', file, '-g', globals]);
    expect(stderr).toMatch(/test is successful/);
  });

  it('has an nginx.conf that carries REST, Socket.IO (WebSocket and polling) and SSE', {
    timeout: 30_000,
  }, async () => {
    const app = await startTestApp();
    const { file, dir, globals, httpPort } = await localConfig(app.port);
    spawnForTest(nginx.binary, ['-p', dir, '-c', file, '-g', `daemon off; ${globals}`]);
    await pollUntil(() => canConnect('127.0.0.1', httpPort, 200), 'nginx to listen');
    const front = `http://127.0.0.1:${httpPort}`;
    const token = app.issueToken('ada').token;

    const got: Record<string, AppNotification[]> = { websocket: [], polling: [] };
    for (const transport of ['websocket', 'polling'] as const) {
      let resumed = false;
      const inbox = connectInbox(front, {
        token,
        onNotification: (n) => got[transport]?.push(n),
        onResumed: () => {
          resumed = true;
        },
        socket: { transports: [transport], reconnection: false },
      });
      onTestFinished(() => inbox.close());
      await pollUntil(() => resumed || undefined, `a ${transport} client through nginx`);
    }
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const sse = await fetch(`${front}/events?token=${token}`, { signal: controller.signal });
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    const parser = new SseParser();

    // through nginx too: the REST call
    const res = await fetch(`${front}/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ user: 'ada', title: 'through nginx' }),
    });
    expect(res.status).toBe(202);
    await pollUntil(() => got.websocket?.length === 1 || undefined, 'the WebSocket client');
    await pollUntil(() => got.polling?.length === 1 || undefined, 'the polling client');
    let event: string | undefined;
    for (let i = 0; i < 20 && event === undefined; i++) {
      const { value } = await withTimeout(reader.read(), 'the SSE event through nginx');
      for (const e of parser.feed(value as Uint8Array)) {
        if (e.type === 'event' && e.event === 'notification') event = e.data;
      }
    }
    expect(JSON.parse(event as string)).toMatchObject({ title: 'through nginx' });
  });
});
