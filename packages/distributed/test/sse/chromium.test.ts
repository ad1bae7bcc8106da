/// <reference lib="dom" />
// A real browser's EventSource as a client of our channel: Debian's chromium driven by
// playwright-core (never a downloaded browser). The page is served by the same server as the
// stream (same origin); it records what its EventSource hands out, and we await that state.
import {
  chromiumPath,
  launchChromium,
  ManualClock,
  nextEvent,
  withTimeout,
} from '@socketlab/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SseClient } from '../../src/sse/index.ts';
import { startSseServer } from './server.ts';

const CI = process.env.CI === 'true';
const WAIT_MS = CI ? 20_000 : 5_000;

const chromium = chromiumPath();
if (!chromium && !CI) {
  console.log(
    "sse/chromium.test.ts: skipped, no browser: install Debian's chromium (apt-get install chromium)",
  );
}

/** The page: one EventSource on /events, every message, price event, open and error recorded. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>sse</title><script>
  window.got = [];
  window.opens = 0;
  window.errors = 0;
  const source = new EventSource('/events');
  source.onopen = () => { window.opens++; };
  source.onerror = () => { window.errors++; };
  source.onmessage = (e) => window.got.push({ type: e.type, data: e.data, id: e.lastEventId });
  source.addEventListener('price', (e) => window.got.push({ type: e.type, data: e.data, id: e.lastEventId }));
</script>`;

interface Got {
  type: string;
  data: string;
  id: string;
}
type PageState = Window & { got: Got[]; opens: number; errors: number };

let browser: Browser | undefined;
let page: Page | undefined;
let noBrowser: Error | undefined;

beforeAll(async () => {
  if (!chromium) {
    noBrowser = new Error('no browser, and CI=true needs one: apt-get install chromium');
    return;
  }
  try {
    browser = await launchChromium();
    page = await browser.newPage();
  } catch (err) {
    noBrowser = new Error(`${chromium} did not start: ${(err as Error).message}`, { cause: err });
  }
});

afterAll(async () => {
  if (browser !== undefined) await withTimeout(browser.close(), 'the browser to close', WAIT_MS);
});

function pageOrFail(): Page {
  if (page === undefined) throw noBrowser ?? new Error('the browser did not start');
  return page;
}

/** Resolves once the page has recorded `count` events. */
async function gotInPage(p: Page, count: number): Promise<Got[]> {
  await p.waitForFunction((n) => (window as unknown as PageState).got.length >= n, count, {
    timeout: WAIT_MS,
  });
  return p.evaluate(() => (window as unknown as PageState).got);
}

describe.skipIf(!chromium && !CI)("Chromium's EventSource as a client of SseChannel", () => {
  it('receives events, and after the server drops the stream resumes with Last-Event-ID, missing none', async () => {
    const p = pageOrFail();
    const server = await startSseServer({ retryMs: 100, idPrefix: 'b' }, PAGE);
    const [[first]] = await Promise.all([
      nextEvent<[SseClient]>(server.channel, 'connect', WAIT_MS),
      p.goto(`${server.origin}/`, { timeout: WAIT_MS }),
    ]);
    await p.waitForFunction(() => (window as unknown as PageState).opens === 1, undefined, {
      timeout: WAIT_MS,
    });
    server.channel.send({ data: 'héllo ✓' });
    server.channel.send({ event: 'price', data: '{"ACME":12.5}' });
    server.channel.send({ data: 'two\nlines' });
    expect(await gotInPage(p, 3)).toEqual([
      { type: 'message', data: 'héllo ✓', id: 'b.1' },
      { type: 'price', data: '{"ACME":12.5}', id: 'b.2' },
      { type: 'message', data: 'two\nlines', id: 'b.3' },
    ]);

    // The server ends the stream, and sends two events in the same tick: nobody can be
    // connected to get them live, so the browser has them only if it resumes from b.3.
    const reconnected = nextEvent<[SseClient]>(server.channel, 'connect', WAIT_MS);
    first.close();
    server.channel.send({ data: 'missed 1' });
    server.channel.send({ event: 'price', data: '{"ACME":13}' });
    const [second] = await reconnected;
    expect(second).toMatchObject({ lastEventId: 'b.3', replayed: 2, gap: false });
    server.channel.send({ data: 'live' });
    const got = await gotInPage(p, 6);
    expect(got.slice(3)).toEqual([
      { type: 'message', data: 'missed 1', id: 'b.4' },
      { type: 'price', data: '{"ACME":13}', id: 'b.5' },
      { type: 'message', data: 'live', id: 'b.6' },
    ]);
    expect(server.lastEventIds).toEqual([null, 'b.3']);
    const { opens, errors } = await p.evaluate(() => {
      const w = window as unknown as PageState;
      return { opens: w.opens, errors: w.errors };
    });
    expect({ opens, errors }).toEqual({ opens: 2, errors: 1 }); // one error: the dropped stream
    await p.goto('about:blank', { timeout: WAIT_MS });
  });

  it('ignores heartbeat comments and gets the gap event when it resumes past the buffer', async () => {
    const p = pageOrFail();
    const page = PAGE.replace(
      '</script>',
      "source.addEventListener('gap', (e) => window.got.push({ type: e.type, data: e.data, id: e.lastEventId }));</script>",
    );
    const clock = new ManualClock();
    const server = await startSseServer(
      { retryMs: 100, idPrefix: 'h', maxReplayEvents: 1, clock, heartbeatMs: 1000 },
      page,
    );
    const [[first]] = await Promise.all([
      nextEvent<[SseClient]>(server.channel, 'connect', WAIT_MS),
      p.goto(`${server.origin}/`, { timeout: WAIT_MS }),
    ]);
    clock.advance(1000);
    clock.advance(1000); // two `: ping` comments, written before the event below
    expect(server.channel.stats().heartbeats).toBe(2);
    server.channel.send({ data: 'one' });
    expect(await gotInPage(p, 1)).toEqual([{ type: 'message', data: 'one', id: 'h.1' }]);
    const reconnected = nextEvent<[SseClient]>(server.channel, 'connect', WAIT_MS);
    first.close();
    for (const n of [2, 3, 4]) server.channel.send({ data: `#${n}` }); // only #4 stays buffered
    const [second] = await reconnected;
    expect(second).toMatchObject({ lastEventId: 'h.1', gap: true, replayed: 1 });
    const got = await gotInPage(p, 3);
    // The gap event carries no id of its own: the page's lastEventId is still h.1 then.
    expect(got.slice(1)).toEqual([
      { type: 'gap', data: 'h.1', id: 'h.1' },
      { type: 'message', data: '#4', id: 'h.4' },
    ]);
    await p.goto('about:blank', { timeout: WAIT_MS });
  });
});
