// Stale partial files: a transfer never resumed leaves a hidden `.name.<16 hex>.partial`; the
// receiver removes those older than --keep-partials days, at start and every hour, and nothing
// else. Real files, aged with utimes() (no sleeps).
import {
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { pollUntil, runCommandInProcess, tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { runFtCli } from '../src/cli/command.ts';
import {
  DEFAULT_PARTIAL_MAX_AGE_MS,
  PARTIAL_NAME_PATTERN,
  type PartialSweepResult,
  startPartialSweeper,
  sweepPartials,
} from '../src/receiver/partial-sweep.ts';
import { partialUploadName } from '../src/web/upload-store.ts';
import { rawUpload, startTestReceiver } from './web/helpers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HEX = '0123456789abcdef';
const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

/** Writes `content` to `dir/name` and sets its mtime `ageDays` days back. */
async function fileAged(dir: string, name: string, ageDays: number, content = 'x'.repeat(100)) {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  const when = new Date(Date.now() - ageDays * DAY_MS);
  await utimes(file, when, when);
  return file;
}

/** A receiving folder with one of each kind of entry the sweep must tell apart. */
async function folderOfPartials() {
  const dir = await tempDir('ft-sweep-');
  const outside = await fileAged(await tempDir('ft-sweep-outside-'), 'target', 30);
  const paths = {
    oldCli: await fileAged(dir, `.report.pdf.${HEX}.partial`, 8),
    oldWeb: await fileAged(
      dir,
      partialUploadName('movie.mkv', 'ab'.repeat(32)),
      30,
      'y'.repeat(50),
    ),
    oldNested: await fileAged(dir, `photos/2024/.cat.jpg.${'0'.repeat(16)}.partial`, 10, 'z'),
    fresh: await fileAged(dir, `.fresh.bin.${HEX}.partial`, 6),
    oldFinal: await fileAged(dir, 'report.pdf', 400),
    oldUnlike: await fileAged(dir, `.notes.${HEX.toUpperCase()}.partial`, 30),
    symlink: path.join(dir, `.link.bin.${HEX}.partial`),
    outside,
  };
  await symlink(outside, paths.symlink);
  return { dir, paths };
}

describe('the stale-partial sweep', () => {
  it('names a partial from either way in', () => {
    expect(PARTIAL_NAME_PATTERN.test(partialUploadName('a.txt', 'f'.repeat(64)))).toBe(true);
    expect(PARTIAL_NAME_PATTERN.test(`.a.txt.${HEX}.partial`)).toBe(true);
    expect(PARTIAL_NAME_PATTERN.test(`a.txt.${HEX}.partial`)).toBe(false);
    expect(PARTIAL_NAME_PATTERN.test(`.a.txt.${HEX.slice(1)}.partial`)).toBe(false);
  });

  it('removes old partials in the folder and its subfolders, and nothing else', async () => {
    const { dir, paths } = await folderOfPartials();
    const result = await sweepPartials({ directory: dir, maxAgeMs: DEFAULT_PARTIAL_MAX_AGE_MS });
    expect(result).toMatchObject({ removed: 3, bytes: 151, truncated: false, failed: [] });
    for (const gone of [paths.oldCli, paths.oldWeb, paths.oldNested])
      expect(await exists(gone)).toBe(false);
    for (const kept of [paths.fresh, paths.oldFinal, paths.oldUnlike, paths.outside])
      expect(await exists(kept)).toBe(true);
    // The symlink named like a partial is left as it was, and so is what it points to.
    expect(await readlink(paths.symlink)).toBe(paths.outside);
    expect(await readdir(path.join(dir, 'photos', '2024'))).toEqual([]);
  });

  it('never follows a symlinked folder', async () => {
    const dir = await tempDir('ft-sweep-');
    const elsewhere = await tempDir('ft-sweep-elsewhere-');
    const victim = await fileAged(elsewhere, `.victim.${HEX}.partial`, 30);
    await symlink(elsewhere, path.join(dir, 'linked'));
    expect(await sweepPartials({ directory: dir, maxAgeMs: DAY_MS })).toMatchObject({ removed: 0 });
    expect(await exists(victim)).toBe(true);
  });

  it('removes nothing with a maximum age of 0', async () => {
    const { dir, paths } = await folderOfPartials();
    expect(await sweepPartials({ directory: dir, maxAgeMs: 0 })).toMatchObject({ removed: 0 });
    expect(await exists(paths.oldCli)).toBe(true);
  });

  it('leaves a partial in use alone, whatever its age', async () => {
    const { dir, paths } = await folderOfPartials();
    const result = await sweepPartials({
      directory: dir,
      maxAgeMs: DAY_MS,
      inUse: () => [paths.oldWeb],
    });
    expect(result.removed).toBe(3); // oldCli, oldNested and fresh (6 days > 1 day)
    expect(await exists(paths.oldWeb)).toBe(true);
  });

  it('leaves alone the partial of an upload the page is still on, however old', async () => {
    const receiver = await startTestReceiver();
    const up = await rawUpload(receiver);
    const id = 'c'.repeat(64);
    up.ws.send(JSON.stringify({ type: 'begin', id, name: 'slow.bin', size: 10 }));
    expect(await up.next()).toMatchObject({ type: 'ready', offset: 0 });
    up.ws.send(Buffer.from('abcd'));
    expect(await up.next()).toEqual({ type: 'ack', received: 4 });
    // A page paused for weeks with its connection open: the partial's mtime is old.
    const dir = await realpath(receiver.dir);
    const partial = path.join(dir, partialUploadName('slow.bin', id));
    const longAgo = new Date(Date.now() - 30 * DAY_MS);
    await utimes(partial, longAgo, longAgo);
    expect(receiver.partialsInUse()).toEqual([partial]);
    const sweep = () =>
      sweepPartials({ directory: dir, maxAgeMs: DAY_MS, inUse: receiver.partialsInUse });
    expect(await sweep()).toMatchObject({ removed: 0 });
    expect(await exists(partial)).toBe(true);
    up.ws.terminate();
    await up.closed;
    await pollUntil(
      () => (receiver.partialsInUse().length === 0 ? true : undefined),
      'the upload to be released',
      { ms: 5_000, intervalMs: 5, maxTries: 1000 },
    );
    expect(await sweep()).toMatchObject({ removed: 1, bytes: 4 });
  });

  it('reads at most maxEntries folder entries', async () => {
    const { dir } = await folderOfPartials();
    const result = await sweepPartials({ directory: dir, maxAgeMs: DAY_MS, maxEntries: 2 });
    expect(result).toMatchObject({ entries: 2, truncated: true });
  });

  it('sweeps at start, skips while busy, and stops on close', async () => {
    const { dir, paths } = await folderOfPartials();
    let busy = true;
    const results: PartialSweepResult[] = [];
    const sweeper = startPartialSweeper({
      directory: dir,
      maxAgeMs: DEFAULT_PARTIAL_MAX_AGE_MS,
      busy: () => busy,
      onSweep: (r) => results.push(r),
    });
    expect(await sweeper.sweep()).toBeUndefined();
    expect(await exists(paths.oldCli)).toBe(true);
    busy = false;
    expect(await sweeper.sweep()).toMatchObject({ removed: 3 });
    await sweeper.close();
    expect(await sweeper.sweep()).toBeUndefined();
    expect(results).toHaveLength(1);
  });

  it('refuses a bad maximum age', () => {
    expect(() => startPartialSweeper({ directory: '/', maxAgeMs: -1 })).toThrow(RangeError);
  });
});

describe('socketlab-ft receive --keep-partials', () => {
  const receive = (dir: string, extra: string[], signal: AbortSignal) =>
    runCommandInProcess(
      runFtCli,
      ['receive', '--dir', dir, '--port', '0', '--host', '127.0.0.1', ...extra],
      { signal },
    );
  /** Runs the receiver stopped at once: it still starts, and its close waits for the sweep begun at start. */
  const receiveAndStop = async (dir: string, days: string) => {
    const stop = new AbortController();
    const running = receive(dir, ['--keep-partials', days], stop.signal);
    stop.abort();
    return withTimeout(running, 'the receiver to stop', 10_000);
  };

  it('removes partials older than the given days at start, and says so', async () => {
    const { dir, paths } = await folderOfPartials();
    const { code, out } = await receiveAndStop(dir, '9');
    expect(code).toBe(0);
    expect(out).toMatch(/^removed 2 stale partial files \(.*\) not written to for 9 days$/m);
    expect(await exists(paths.oldWeb)).toBe(false); // 30 days old
    expect(await exists(paths.oldCli)).toBe(true); // 8 days old
    expect(await exists(paths.oldNested)).toBe(false); // 10 days old
  });

  it('removes none with --keep-partials 0', async () => {
    const { dir, paths } = await folderOfPartials();
    const { code, out } = await receiveAndStop(dir, '0');
    expect(code).toBe(0);
    expect(out).toMatch(/^code: /m);
    expect(out).not.toMatch(/removed/);
    expect(await exists(paths.oldWeb)).toBe(true);
  });

  it('refuses a number of days that is not a whole number', async () => {
    const dir = await tempDir('ft-sweep-');
    const { code, err } = await receive(
      dir,
      ['--keep-partials', 'x'],
      new AbortController().signal,
    );
    expect(code).toBe(2);
    expect(err).toMatch(/--keep-partials must be a whole number/);
  });
});
