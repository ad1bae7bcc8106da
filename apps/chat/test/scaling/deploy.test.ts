/**
 * deploy/: the nginx config compose.yaml mounts is one nginx accepts (`nginx -t`), and it really
 * balances the chat — the page's HTTP, Socket.IO over WebSocket (the Upgrade headers) and over
 * long polling (stickiness) — once its upstreams (compose's service names) are local instances.
 * compose.yaml runs the instances with the flags the README gives.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findNginx, nginxStreamModule } from '@socketlab/distributed';
import {
  canConnect,
  freePort,
  pollUntil,
  spawnForTest,
  tempDir,
  withTimeout,
} from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { ask, connectGuest, startTestApp } from '../helpers/chat.ts';
import { connectNc } from '../tcp/nc.ts';

const DEPLOY = path.join(import.meta.dirname, '..', '..', 'deploy');
const run = promisify(execFile);

const nginx = await (async () => {
  try {
    const binary = findNginx();
    return { binary, streamModule: await nginxStreamModule(binary), missing: '' };
  } catch (error) {
    return { binary: '', streamModule: null, missing: (error as Error).message };
  }
})();
const skip = nginx.missing !== '' && process.env.CI !== 'true';
if (skip) console.warn(`skipped: ${nginx.missing}`);

/**
 * deploy/nginx.conf with compose's `chatN:3000`/`chatN:4000` replaced by `upstreams`, its listen
 * ports by free loopback ones, and (Debian) the stream module loaded.
 */
async function localConfig(upstreams: { http: number; tcp: number }[]) {
  let text = await readFile(path.join(DEPLOY, 'nginx.conf'), 'utf8');
  const named = [...text.matchAll(/server chat(\d):3000/g)].map((m) => Number(m[1]));
  expect(named).toEqual([1, 2, 3]);
  text = text.replace(/chat(\d):(3000|4000)/g, (_, n: string, port: string) => {
    const upstream = upstreams[(Number(n) - 1) % upstreams.length] as { http: number; tcp: number };
    return `127.0.0.1:${port === '3000' ? upstream.http : upstream.tcp}`;
  });
  const httpPort = await freePort();
  const tcpPort = await freePort();
  text = text
    .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
    .replace('listen 4000;', `listen 127.0.0.1:${tcpPort};`);
  if (nginx.streamModule !== null) text = `load_module ${nginx.streamModule};\n${text}`;
  const dir = await tempDir('chat-nginx-');
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, text);
  // Where the official image logs and keeps its pid, a temporary directory here.
  const globals = `pid ${dir}/nginx.pid; error_log ${dir}/error.log;`;
  return { file, dir, globals, httpPort, tcpPort };
}

/** Runs nginx in the foreground on `localConfig`'s files, stopped when the test ends. */
function startNginx({ file, dir, globals }: { file: string; dir: string; globals: string }): void {
  spawnForTest(nginx.binary, ['-p', dir, '-c', file, '-g', `daemon off; ${globals}`]);
}

describe.skipIf(skip)('deploy/', () => {
  beforeAll(() => {
    if (nginx.missing !== '') throw new Error(`${nginx.missing} (CI=true: a failure)`);
  });

  it('has an nginx.conf nginx accepts', async () => {
    const { file, dir, globals } = await localConfig([{ http: 3001, tcp: 4001 }]);
    const { stderr } = await run(nginx.binary, ['-t', '-p', dir, '-c', file, '-g', globals]);
    expect(stderr).toMatch(/syntax is ok/);
    expect(stderr).toMatch(/test is successful/);
  });

  it('has an nginx.conf that serves the page, WebSocket and polling clients', {
    timeout: 30_000,
  }, async () => {
    const app = await startTestApp();
    const { file, dir, globals, httpPort } = await localConfig([{ http: app.port, tcp: 1 }]);
    startNginx({ file, dir, globals });
    await pollUntil(() => canConnect('127.0.0.1', httpPort, 200), 'nginx to listen');
    const url = `http://127.0.0.1:${httpPort}/`;
    const health = (await (await fetch(`${url}health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    const proxied = { ...app, url };
    const ws = await connectGuest(proxied, 'ann', { transports: ['websocket'] });
    const polling = await connectGuest(proxied, 'bob', { transports: ['polling'] });
    expect(polling.io.engine.transport.name).toBe('polling');
    const [a, b] = await Promise.all([
      ask(ws, 'join', { room: 'lobby' }),
      ask(polling, 'join', { room: 'lobby' }),
    ]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    const heard = new Promise((resolve) => polling.once('message', resolve));
    await ask(ws, 'send', { room: 'lobby', text: 'through nginx' });
    expect(await withTimeout(heard, 'the message to the polling client')).toMatchObject({
      text: 'through nginx',
    });
  });

  it('has an nginx.conf whose nc port sends the PROXY header the gateway reads', {
    timeout: 30_000,
  }, async () => {
    const app = await startTestApp({ tcpPort: 0, tcpProxyProtocol: true });
    const { file, dir, globals, tcpPort } = await localConfig([
      { http: app.port, tcp: app.tcpPort as number },
    ]);
    startNginx({ file, dir, globals });
    await pollUntil(() => canConnect('127.0.0.1', tcpPort, 200), 'nginx to listen');
    const nc = await connectNc(tcpPort);
    await nc.waitFor(/^\* welcome/);
    await nc.say('/who');
    await nc.waitFor(/^\* in #lobby/);
  });

  it('has a compose.yaml running three instances on Redis, with the flags the README gives', async () => {
    const compose = await readFile(path.join(DEPLOY, 'compose.yaml'), 'utf8');
    const command = /command:\n((?: {4}- .+\n)+)/.exec(compose)?.[1] ?? '';
    const flags = command
      .split('\n')
      .map((l) => l.replace(/^ {4}- /, '').replace(/^"|"$/g, ''))
      .join(' ');
    expect(flags).toContain('--redis redis://redis:6379 --port 3000 --tcp-port 4000');
    expect(flags).toContain('--host 0.0.0.0');
    // behind nginx every client comes from nginx's address: limits go by X-Forwarded-For
    expect(flags).toContain('--trust-proxy');
    // and on the nc port by the PROXY header nginx.conf's stream block sends
    expect(flags).toContain('--tcp-proxy-protocol');
    for (const name of ['chat1', 'chat2', 'chat3', 'redis', 'nginx']) {
      expect(compose).toMatch(new RegExp(`^  ${name}:`, 'm'));
    }
    const dockerfile = await readFile(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toContain('pnpm@10.34.9');
  });
});
