import { once } from 'node:events';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { startInProcess, urlPrintedBy, WAIT_MS } from './helpers.ts';

/** A `ws` client offering permessage-deflate, open, and the echo of one message. */
async function echoThroughWs(url: string, message: Buffer) {
  const client = new WebSocket(url, { perMessageDeflate: true });
  onTestFinished(() => client.terminate());
  await withTimeout(once(client, 'open'), 'the ws client to connect', WAIT_MS);
  const echoed = once(client, 'message');
  client.send(message);
  const [data] = await withTimeout(echoed, 'the echo', WAIT_MS);
  return { extensions: client.extensions, data: Buffer.from(data as Buffer) };
}

const BIG = Buffer.from('compress me, '.repeat(1000));

describe('socketlab-ws --deflate', () => {
  it('echo --deflate accepts permessage-deflate, and connect --deflate uses it', async () => {
    const echo = startInProcess(['echo', '--port', '0', '--deflate']);
    const url = await urlPrintedBy(() => echo.printed.out);
    const viaWs = await echoThroughWs(url, BIG);
    expect(viaWs.extensions).toBe('permessage-deflate');
    expect(viaWs.data.equals(BIG)).toBe(true);
    expect(echo.printed.err).toContain('#1 connected: GET / (permessage-deflate)');

    const run = startInProcess(['connect', url, '--deflate']);
    run.stdin.write(`${BIG.toString()}\n`);
    await pollUntil(() => run.printed.out === `${BIG.toString()}\n`, 'the echo', { ms: WAIT_MS });
    run.stdin.end();
    expect(await run.exited()).toBe(0);
    expect(run.printed.err).toContain(`connected to ${url} (permessage-deflate)\n`);
  });

  it('without --deflate, echo ignores the offer and connect offers nothing', async () => {
    const echo = startInProcess(['echo', '--port', '0']);
    const url = await urlPrintedBy(() => echo.printed.out);
    const viaWs = await echoThroughWs(url, BIG);
    expect(viaWs.extensions).toBe('');
    expect(viaWs.data.equals(BIG)).toBe(true);
    expect(echo.printed.err).toContain('#1 connected: GET /\n');

    const run = startInProcess(['connect', url, '--deflate']);
    run.stdin.end('hi\n');
    expect(await run.exited()).toBe(0);
    expect(run.printed.err).toContain(`connected to ${url}\n`);
  });
});
