/// <reference lib="dom" />
// The game demo in Debian's chromium (driven by playwright-core, never a downloaded browser):
// the page connects, draws the entities it receives, and the keyboard moves the player, first
// by prediction and then on the server. Without a browser the test is skipped with a line
// saying so, except under CI=true, where it fails. GAME_SCREENSHOT=1 also saves the page to
// docs/game.png (the picture in the README).
import { fileURLToPath } from 'node:url';
import { chromiumPath, launchChromium, withTimeout } from '@socketlab/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startGameDemo } from '../../../examples/game-server.ts';

const CI = process.env.CI === 'true';
const WAIT_MS = CI ? 20_000 : 8_000;
const chromium = chromiumPath();
if (!chromium && !CI) {
  console.log(
    "browser.test.ts: skipped, no browser: install Debian's chromium (apt-get install chromium)",
  );
}

let browser: Browser | undefined;
afterAll(async () => {
  if (browser !== undefined) await withTimeout(browser.close(), 'the browser to close', WAIT_MS);
});

async function openPage(url: string): Promise<Page> {
  browser ??= await launchChromium();
  const page = await browser.newPage({ viewport: { width: 660, height: 780 } });
  onTestFinished(() => page.close());
  await page.goto(url, { timeout: WAIT_MS });
  return page;
}

const debugOf = (page: Page) =>
  page.evaluate(() => ({ ...(document.getElementById('debug') as HTMLElement).dataset }));

describe.skipIf(!chromium && !CI)('the game page in Chromium', () => {
  it('connects, renders the entities, and the keyboard moves the player (predicted, then on the server)', async () => {
    const demo = await startGameDemo({ bots: 3 });
    onTestFinished(() => demo.close());
    const page = await openPage(demo.url);
    // Itself and the 3 bots, all within 300 units of the centre.
    await page.waitForFunction(
      () => Number(document.getElementById('debug')?.dataset.entities) >= 4,
      undefined,
      { timeout: WAIT_MS },
    );
    const start = await debugOf(page);
    const you = Number(start.you);
    expect(demo.game.world.player(you)).toBeDefined();
    // The canvas shows the player (red) where the debug line says, and the others (blue).
    const pixels = await page.evaluate(
      ([x, y]) => {
        const canvas = document.getElementById('world') as HTMLCanvasElement;
        const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
        const scale = canvas.width / 1000;
        const [r, g, b] = ctx.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data;
        const all = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let blue = 0;
        for (let i = 0; i < all.length; i += 4) {
          if ((all[i + 2] as number) > 150 && (all[i] as number) < 100) blue++;
        }
        return { me: [r, g, b], blue };
      },
      [Number(start.x), Number(start.y)] as const,
    );
    expect(pixels.me[0]).toBeGreaterThan(180);
    expect(pixels.me[1]).toBeLessThan(100);
    expect(pixels.blue).toBeGreaterThan(3 * 50);

    const x0 = Number(start.x);
    await page.keyboard.down('ArrowRight');
    await page.waitForFunction(
      (from) => Number(document.getElementById('debug')?.dataset.x) > from + 40,
      x0,
      { timeout: WAIT_MS },
    );
    await page.keyboard.up('ArrowRight');
    // Once every input is acknowledged, the predicted position is the server's, to the bit.
    await page.waitForFunction(
      () => document.getElementById('debug')?.dataset.pending === '0',
      undefined,
      { timeout: WAIT_MS },
    );
    const end = await debugOf(page);
    const server = demo.game.world.player(you);
    expect(server?.x).toBeGreaterThan(x0 + 40);
    expect(Number(end.x)).toBe(server?.x);
    expect(Number(end.y)).toBe(server?.y);
    if (process.env.GAME_SCREENSHOT === '1') {
      await page.keyboard.down('ArrowUp');
      await page.waitForFunction(
        (from) => Number(document.getElementById('debug')?.dataset.y) < from - 60,
        Number(end.y),
        { timeout: WAIT_MS },
      );
      await page.keyboard.up('ArrowUp');
      await page.screenshot({
        path: fileURLToPath(new URL('../../../docs/game.png', import.meta.url)),
      });
    }
  });
});
