import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { ask, connectWith, startTestApp } from '../helpers/chat.ts';

/** One HTTP request with the path as given (no URL normalisation, unlike fetch). */
function raw(
  port: number,
  path: string,
  {
    method = 'GET',
    body,
    headers = {},
  }: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    }),
    `${method} ${path}`,
  );
}

async function webRoot(): Promise<string> {
  const base = await tempDir('socketlab-chat-web-');
  const root = join(base, 'web');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>chat</title>');
  await writeFile(join(root, 'app.js'), 'console.log(1);');
  await writeFile(join(root, 'assets', 'style.css'), 'body{}');
  await writeFile(join(base, 'secret.txt'), 'do not serve');
  await symlink(join(base, 'secret.txt'), join(root, 'link.txt'));
  return root;
}

describe('the page', () => {
  it('serves the built files with their content types', async () => {
    const app = await startTestApp({ webRoot: await webRoot() });
    const page = await raw(app.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toMatch(
      /default-src 'self'.*frame-ancestors 'none'/,
    );
    expect(page.text).toContain('<title>chat</title>');
    expect((await raw(app.port, '/index.html')).status).toBe(200);
    const script = await raw(app.port, '/app.js?v=1');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toBe('console.log(1);');
    const style = await raw(app.port, '/assets/style.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await raw(app.port, '/app.js', { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, text: '' });
    expect(head.headers['content-length']).toBe('15');
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/link.txt',
    '/app.js%00.html',
    '/%E0%A4%A',
    '/assets',
    '/nothing-here.js',
  ])('answers 404 to %s (nothing outside the page, no directories)', async (path) => {
    const app = await startTestApp({ webRoot: await webRoot() });
    const answer = await raw(app.port, path);
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain('do not serve');
  });

  it('says the page is not built when there is no webRoot, and refuses other methods', async () => {
    const app = await startTestApp({ webRoot: join(await tempDir(), 'missing') });
    const answer = await raw(app.port, '/');
    expect(answer.status).toBe(404);
    expect(answer.text).toMatch(/not built/);
    expect((await raw(app.port, '/', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('guest login', () => {
  const post = (port: number, body: string, headers = { 'content-type': 'application/json' }) =>
    raw(port, '/api/session', { method: 'POST', body, headers });

  it('issues a signed token for a nickname, which connects', async () => {
    const app = await startTestApp();
    const answer = await post(app.port, JSON.stringify({ nick: 'ada' }));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const session = JSON.parse(answer.text);
    expect(session.user).toMatchObject({ nick: 'ada', via: 'web' });
    expect(session.user.id).toMatch(/^guest:[A-Za-z0-9_-]+$/);
    expect(session.expiresAt).toBeGreaterThan(Date.now() + 11 * 3600_000);
    const socket = await connectWith(app, session.token);
    expect(await ask(socket, 'join', { room: 'lobby' })).toMatchObject({
      ok: true,
      members: [session.user],
    });
  });

  it.each([
    ['a nickname with a space', JSON.stringify({ nick: 'a b' }), 400, 'REALTIME_ERR_PAYLOAD'],
    ['a nickname too long', JSON.stringify({ nick: 'x'.repeat(17) }), 400, 'REALTIME_ERR_PAYLOAD'],
    ['no nickname', '{}', 400, 'REALTIME_ERR_PAYLOAD'],
    ['JSON null', 'null', 400, 'REALTIME_ERR_PAYLOAD'],
    ['not JSON', 'nick=ada', 400, 'REALTIME_ERR_PAYLOAD'],
    [
      'a body over 1 KiB',
      JSON.stringify({ nick: 'ada', pad: 'x'.repeat(2000) }),
      413,
      'REALTIME_ERR_LIMIT',
    ],
  ])('refuses %s', async (_what, body, status, code) => {
    const app = await startTestApp();
    const answer = await post(app.port, body);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code } });
  });

  it('refuses a GET, and logins past the rate of one address (429)', async () => {
    const app = await startTestApp();
    expect((await raw(app.port, '/api/session')).status).toBe(405);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await post(app.port, JSON.stringify({ nick: `u${i}` }))).status);
    }
    expect(statuses.slice(0, 10)).toEqual(new Array(10).fill(200));
    expect(statuses.at(-1)).toBe(429);
    expect((await raw(app.port, '/api/nothing')).status).toBe(404);
  });
});

describe('health', () => {
  it('says which instance and backend, and how many connections', async () => {
    const app = await startTestApp({ instanceId: 'one' });
    const { token } = await app.issueGuestToken('ada');
    await connectWith(app, token);
    const answer = await raw(app.port, '/health');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      ok: true,
      instance: 'one',
      backend: 'memory',
      connections: 1,
    });
  });
});
