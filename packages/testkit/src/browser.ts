/**
 * Finding Debian's chromium for browser tests (driven with playwright-core, which never
 * downloads a browser here), and the flags TOOLCHAIN.md found to work on these machines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, onTestFinished } from 'vitest';
import { withTimeout } from './wait.ts';

/** Debian's chromium: `CHROMIUM_PATH` if set, else what `command -v chromium` prints, else undefined. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return (
      execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/**
 * Flags for launching it headless in a test: no GPU, QUIC, first-run page or background
 * traffic, and no sandbox when running as root (which chromium refuses to sandbox).
 */
export function chromiumArgs(): string[] {
  return [
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
}

/** Options of {@link launchChromium}. */
export interface LaunchChromiumOptions {
  /** How long the browser may take to start, in ms. @default 45000 under CI, 15000 elsewhere */
  timeout?: number;
}

/**
 * Debian's chromium, headless, with {@link chromiumArgs}, driven by playwright-core (imported only
 * here, so a stage without browser tests never loads it). Close it when the tests are done.
 * @throws {Error} when there is no chromium (`apt-get install chromium`) or it does not start.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    throw new Error('no browser, and CI=true needs one: apt-get install chromium');
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: options.timeout ?? (process.env.CI === 'true' ? 45_000 : 15_000),
    args: chromiumArgs(),
  });
}

/** What a file of page tests shares: see {@link pageTestSuite}. */
export interface PageTestSuite {
  /** True when this machine has no browser and is not CI: the file is skipped, and a line says so. */
  skipWithoutBrowser(file: string): boolean;
  /** The page, built once per file into a temp dir (removed after the file). */
  builtPage(): Promise<string>;
  /** Debian's chromium, launched once per file on first use (closed after the file). */
  browser(): Promise<Browser>;
  /**
   * A fresh context (its own storage and network) with one page, 1000 × 640, closed when the
   * test ends; every step waits at most `stepTimeoutMs`. The test fails at its end if the page
   * threw, or its content security policy refused it anything (a console message says so).
   */
  openPage(): Promise<{ page: Page; context: BrowserContext }>;
}

/**
 * The set-up an app's browser test files share: the page built by `build(outDir)` once per file
 * into a temp dir, one chromium per file, both cleaned up in `afterAll` (call it at a test file's
 * top level, or from a helper module such a file imports). Without a browser a file is skipped
 * with a line saying what to install, except under CI=true, where launching fails instead.
 * @example const suite = pageTestSuite(buildWeb, 'chat'); const { page } = await suite.openPage();
 */
export function pageTestSuite(
  build: (outDir: string) => Promise<void>,
  name: string,
  { stepTimeoutMs = process.env.CI === 'true' ? 15_000 : 6_000 } = {},
): PageTestSuite {
  let browser: Promise<Browser> | undefined;
  let webRoot: Promise<string> | undefined;
  afterAll(async () => {
    const [b, root] = [browser, webRoot];
    browser = undefined;
    webRoot = undefined;
    // A launch that failed already failed its test: nothing to close.
    const launched = await b?.catch(() => undefined);
    if (launched !== undefined) {
      await withTimeout(launched.close(), 'the browser to close', stepTimeoutMs);
    }
    if (root !== undefined) await rm(await root, { recursive: true, force: true });
  });
  return {
    skipWithoutBrowser(file) {
      if (chromiumPath() || process.env.CI === 'true') return false;
      console.log(
        `${file}: skipped, no browser: install Debian's chromium (apt-get install chromium)`,
      );
      return true;
    },
    builtPage() {
      webRoot ??= (async () => {
        const dir = await mkdtemp(join(tmpdir(), `socketlab-${name}-page-`));
        await build(dir);
        return dir;
      })();
      return webRoot;
    },
    browser() {
      browser ??= launchChromium();
      return browser;
    },
    async openPage() {
      browser ??= launchChromium();
      const context = await (await browser).newContext({ viewport: { width: 1000, height: 640 } });
      onTestFinished(() => context.close());
      const page = await context.newPage();
      page.setDefaultTimeout(stepTimeoutMs);
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) errors.push(new Error(message.text()));
      });
      onTestFinished(() => {
        if (errors.length > 0) {
          throw new Error(`the page threw or was refused: ${errors.map(String).join('; ')}`);
        }
      });
      return { page, context };
    },
  };
}
