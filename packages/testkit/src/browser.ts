/**
 * Finding Debian's chromium for browser tests (driven with playwright-core, which never
 * downloads a browser here), and the flags TOOLCHAIN.md found to work on these machines.
 */
import { execFileSync } from 'node:child_process';

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
