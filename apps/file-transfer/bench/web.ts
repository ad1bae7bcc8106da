/**
 * Browser upload speed: one file uploaded from the page in Debian's chromium (read slice by
 * slice, hashed with @noble/hashes, sent over the native WebSocket with its window) against the
 * same file sent by Node over stage 4's WebSocket client with the same protocol (node:crypto
 * hashing), each to a fresh web receiver on 127.0.0.1, in the same run. MB/s, higher is better.
 *
 *   pnpm exec tsx --conditions=@socketlab/source bench/web.ts        128 MiB, best of 3
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/web.ts   8 MiB, once
 *
 * `rows()` is what bench/index.ts runs (`benchAreas(…, ['web', …])`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_QUICK,
  type BenchRow,
  chromiumPath,
  launchChromium,
  report,
} from '@socketlab/testkit';
import { buildWeb } from '../scripts/build-web.ts';
import { startWebReceiver, uploadFile } from '../src/web/index.ts';

const MiB = 1024 * 1024;
const SIZE = (BENCH_QUICK ? 8 : 128) * MiB;
const ROUNDS = BENCH_QUICK ? 1 : 3;
const TIMEOUT_MS = 300_000;

/** A file of `size` random bytes, written 8 MiB at a time. */
async function makeFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (let at = 0; at < size; at += 8 * MiB)
      await handle.write(randomBytes(Math.min(8 * MiB, size - at)));
  } finally {
    await handle.close();
  }
}

/** Seconds for one upload into a fresh folder under `work` (`prepare` is not timed). */
async function timed(
  work: string,
  webRoot: string,
  send: (url: string) => Promise<void>,
  prepare: (url: string) => Promise<void> = async () => {},
): Promise<number> {
  const dir = await mkdtemp(path.join(work, 'inbox-'));
  const receiver = await startWebReceiver({ dir, webRoot });
  try {
    await prepare(receiver.url);
    const started = performance.now();
    await send(receiver.url);
    return (performance.now() - started) / 1000;
  } finally {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function rows(): Promise<BenchRow[]> {
  if (chromiumPath() === undefined) {
    if (process.env.CI === 'true')
      throw new Error('bench/web.ts needs chromium under CI: apt-get install chromium');
    console.error(
      "bench/web.ts: skipped, no browser: install Debian's chromium (apt-get install chromium)",
    );
    return [];
  }
  const work = await mkdtemp(path.join(tmpdir(), 'socketlab-ft-bench-'));
  const browser = await launchChromium();
  try {
    const webRoot = path.join(work, 'page');
    await buildWeb(webRoot);
    const file = path.join(work, 'payload.bin');
    await makeFile(file, SIZE);
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    let browserBest = 0;
    let nodeBest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const browserSeconds = await timed(
        work,
        webRoot,
        async () => {
          await page.setInputFiles('#files', file);
          await page.locator('#uploads li[data-state="done"]').waitFor();
        },
        async (url) => {
          await page.goto(url);
          await page.locator('body[data-ready="true"]').waitFor();
        },
      );
      browserBest = Math.max(browserBest, SIZE / MiB / browserSeconds);
      const nodeSeconds = await timed(work, webRoot, async (url) => {
        await uploadFile(url, file);
      });
      nodeBest = Math.max(nodeBest, SIZE / MiB / nodeSeconds);
    }
    return [
      {
        bench: `ft-web-upload-${SIZE / MiB}MiB`,
        unit: 'MiB/s',
        value: browserBest,
        baseline: 'node-websocket',
        baselineValue: nodeBest,
        ratio: browserBest / nodeBest,
      },
    ];
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  report(await rows());
}
