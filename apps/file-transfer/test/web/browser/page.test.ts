// The upload page in Debian's chromium (playwright-core): two files dropped on the page, the page
// reloaded mid-upload, the same files chosen again, and the uploads continue from where the
// receiver's partial files end; the received files match byte for byte (SHA-256). Also: pause
// and resume from the keyboard, and the code phrase. The receiver paces each upload to 1 MiB/s
// so "mid-upload" lasts seconds, not a race. SCREENSHOT=1 also saves docs/screenshot.png.
import { readdir, readFile, utimes } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@socketlab/testkit';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebReceiverEvent } from '../../../src/web/index.ts';
import { randomFile, sha256 } from '../helpers.ts';
import {
  builtPage,
  openPage,
  sharedBrowser,
  skipWithoutBrowser,
  startPageReceiver,
  uploadRow,
  WAIT_MS,
  waitForState,
} from './helpers.ts';

const MiB = 1024 * 1024;
/** Paced to 1 MiB/s, with small slices and window, so "mid-upload" lasts seconds, not a race. */
const SLOW = { maxBytesPerSecond: MiB / 2, chunkBytes: 64 * 1024, windowBytes: 256 * 1024 };
/** A whole second: the File the page builds on drop and the one chosen from disk agree on it. */
const MTIME = new Date('2026-01-02T03:04:05Z');

async function fileOnDisk(name: string, size: number) {
  const file = await randomFile(name, size);
  await utimes(file.path, MTIME, MTIME);
  return file;
}

/** Drops files on the drop zone the way a person drags them from a file manager. */
async function dropFiles(page: Page, files: { name: string; bytes: Buffer }[]): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ files, lastModified }) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { lastModified }));
      }
      return dt;
    },
    {
      files: files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64') })),
      lastModified: MTIME.getTime(),
    },
  );
  await page.dispatchEvent('#drop', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
}

const acked = (page: Page, name: string) =>
  uploadRow(page, name)
    .locator('progress')
    .evaluate((p) => (p as HTMLProgressElement).value);

const starts = (events: WebReceiverEvent[], name: string) =>
  events.flatMap((e) => (e.type === 'upload-start' && e.name === name ? [e.offset] : []));

describe.skipIf(skipWithoutBrowser('page.test.ts'))('the upload page', () => {
  // Building the page and starting the browser are set-up, not part of any test's time.
  beforeAll(async () => {
    await Promise.all([builtPage(), sharedBrowser()]);
  });

  it('resumes two dropped files after a reload, and the received files match', {
    timeout: 90_000,
  }, async () => {
    const receiver = await startPageReceiver(SLOW);
    const a = await fileOnDisk('alpha.bin', 4 * MiB + 11);
    const b = await fileOnDisk('beta photo.jpg', 3 * MiB + 7);
    const { page } = await openPage(receiver.url);

    // Every input has a label, and every button a name.
    const unlabelled = await page.$$eval('input, button', (elements) =>
      elements
        .filter((e) =>
          e instanceof HTMLInputElement
            ? (e.labels?.length ?? 0) === 0
            : (e.getAttribute('aria-label') ?? e.textContent ?? '').trim() === '',
        )
        .map((e) => e.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    await dropFiles(page, [
      { name: 'alpha.bin', bytes: a.bytes },
      { name: 'beta photo.jpg', bytes: b.bytes },
    ]);
    // Mid-upload: both have sent something, neither is done (each needs 6 s or more at SLOW's
    // rate: a machine under load has taken seconds between this check and the reload).
    await pollUntil(
      async () =>
        (await acked(page, 'alpha.bin')) >= MiB / 4 && (await acked(page, 'beta photo.jpg')) > 0,
      'both uploads to be under way',
      { ms: WAIT_MS, intervalMs: 20 },
    );
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    // The page remembers both and says how to go on.
    await page.locator('#pending li', { hasText: 'alpha.bin' }).waitFor();
    await expect(
      page.locator('#pending li', { hasText: 'beta photo.jpg' }).textContent(),
    ).resolves.toMatch(/Choose it again to resume/);
    expect((await readdir(receiver.dir)).filter((n) => !n.endsWith('.partial'))).toEqual([]);

    // The same files, chosen from disk this time: the uploads continue.
    await page.setInputFiles('#files', [a.path, b.path]);
    // The rest of both at SLOW's pace: about 8 s.
    await waitForState(page, 'alpha.bin', 'done', 4 * WAIT_MS);
    await waitForState(page, 'beta photo.jpg', 'done', 4 * WAIT_MS);
    for (const name of ['alpha.bin', 'beta photo.jpg']) {
      const [first, second] = starts(receiver.events, name);
      expect(first, name).toBe(0);
      expect(second, `${name} continued where its partial file ended`).toBeGreaterThan(0);
    }
    expect(sha256(await readFile(`${receiver.dir}/alpha.bin`))).toBe(a.sha256);
    expect(sha256(await readFile(`${receiver.dir}/beta photo.jpg`))).toBe(b.sha256);
    expect((await readdir(receiver.dir)).sort()).toEqual(['alpha.bin', 'beta photo.jpg']);
    await expect(page.locator('#pending-section').isHidden()).resolves.toBe(true);
    // Both are offered for download.
    await page.locator('#received a', { hasText: 'beta photo.jpg' }).waitFor();
    await expect(
      page.locator('#received a', { hasText: 'beta photo.jpg' }).getAttribute('href'),
    ).resolves.toBe('/files/beta%20photo.jpg');

    if (process.env.SCREENSHOT === '1') {
      const c = await fileOnDisk('gamma.iso', 6 * MiB);
      await page.setInputFiles('#files', [c.path]);
      await pollUntil(async () => (await acked(page, 'gamma.iso')) >= 2 * MiB, 'gamma under way', {
        ms: WAIT_MS,
        intervalMs: 20,
      });
      await uploadRow(page, 'gamma.iso').getByRole('button').click();
      await waitForState(page, 'gamma.iso', 'paused');
      await page.screenshot({
        path: fileURLToPath(new URL('../../../docs/screenshot.png', import.meta.url)),
      });
    }
  });

  it('pauses and resumes from the keyboard', { timeout: 90_000 }, async () => {
    const receiver = await startPageReceiver(SLOW);
    // 12 s at SLOW's rate: under load, seconds have passed between the first acknowledgement
    // and the key press, and a 6 s upload was once done before it could be paused.
    const a = await fileOnDisk('paused.bin', 6 * MiB + 1);
    const { page } = await openPage(receiver.url);
    await page.setInputFiles('#files', [a.path]);
    await pollUntil(async () => (await acked(page, 'paused.bin')) > 0, 'the upload to start', {
      ms: WAIT_MS,
      intervalMs: 20,
    });
    await page.getByRole('button', { name: 'Pause paused.bin' }).focus();
    await page.keyboard.press('Enter');
    await waitForState(page, 'paused.bin', 'paused', WAIT_MS);
    await expect(uploadRow(page, 'paused.bin').textContent()).resolves.toMatch(/paused/);
    // Paused: what was in flight arrives and is acknowledged, and the rest is held back.
    const held = await pollUntil(
      async () => {
        const shown = await acked(page, 'paused.bin');
        const last = receiver.events.findLast((e) => e.type === 'progress');
        return last?.type === 'progress' && last.received === shown && shown;
      },
      'the bytes in flight to be acknowledged',
      { ms: WAIT_MS, intervalMs: 20 },
    );
    expect(held).toBeLessThan(a.bytes.length);
    await page.getByRole('button', { name: 'Resume paused.bin' }).focus();
    await page.keyboard.press('Enter');
    await waitForState(page, 'paused.bin', 'done', 4 * WAIT_MS);
    expect(sha256(await readFile(`${receiver.dir}/paused.bin`))).toBe(a.sha256);
  });

  it('asks for the code phrase, and uploads once it is right', async () => {
    const receiver = await startPageReceiver({ code: 'amber-fox-7' });
    const a = await fileOnDisk('secret.txt', 1000);
    const { page } = await openPage(receiver.url);
    await page.getByLabel('Code phrase').waitFor();
    await page.setInputFiles('#files', [a.path]);
    await waitForState(page, 'secret.txt', 'failed');
    await expect(uploadRow(page, 'secret.txt').textContent()).resolves.toMatch(/code phrase/);
    await page.getByLabel('Code phrase').fill('amber-fox-7');
    await page.getByRole('button', { name: 'Resume secret.txt' }).click();
    await waitForState(page, 'secret.txt', 'done');
    await page.locator('#received a', { hasText: 'secret.txt' }).waitFor();
    expect(sha256(await readFile(`${receiver.dir}/secret.txt`))).toBe(a.sha256);
  });
});
