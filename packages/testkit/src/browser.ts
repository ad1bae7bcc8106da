/**
 * Finding Debian's chromium for browser tests (driven with playwright-core, which never
 * downloads a browser here), and the flags TOOLCHAIN.md found to work on these machines.
 */
import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';

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
