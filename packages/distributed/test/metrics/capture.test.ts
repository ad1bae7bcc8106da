import { spawnSync } from 'node:child_process';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../', import.meta.url);
/** tsx's start under CI's full load has taken over 10 s; tshark's own start takes 1-2 s. */
const RUN_MS = 60_000;

/** Why capture cannot run here (no tshark, or no right to capture on lo), or undefined. */
function captureUnavailable(): string | undefined {
  const listed = spawnSync('tshark', ['-D'], { encoding: 'utf8', timeout: 20_000 });
  if (listed.error !== undefined) {
    return `tshark not found (${listed.error.message}); install it: apt-get install -y tshark`;
  }
  if (!/^\d+\. lo\b/m.test(listed.stdout)) {
    return 'tshark may not capture on lo here: run as root, or add yourself to the wireshark group (dpkg-reconfigure wireshark-common)';
  }
  return undefined;
}

const unavailable = captureUnavailable();
const skip = unavailable !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipped: examples/capture.ts, ${unavailable}`);

describe.skipIf(skip)('examples/capture.ts (tshark on the loopback)', () => {
  it('shows SYN, SYN-ACK, the framed payload both ways and a FIN from each side, on its port only', {
    timeout: RUN_MS + 10_000,
  }, async () => {
    expect(unavailable, 'CI installs tshark and runs as root').toBeUndefined();
    const program = spawnSource(PACKAGE_DIR, 'examples/capture.ts');
    const { code } = await withTimeout(program.exited, 'examples/capture.ts to finish', RUN_MS);
    const out = program.output();
    expect(code, out).toBe(0);
    const port = /echo on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    expect(port, out).toBeDefined();
    const packets = out
      .split('\n')
      .filter((line) => / (client|server) → (server|client) /.test(line));
    const has = (who: string, pattern: RegExp) =>
      packets.some((line) => line.includes(who) && pattern.test(line));
    expect(
      packets.every((line) => line.includes(` → ${port} `) || line.includes(` ${port} → `)),
      out,
    ).toBe(true);
    expect(has('client → server', /\[SYN\] Seq=0 /), out).toBe(true);
    expect(has('server → client', /\[SYN, ACK\] Seq=0 Ack=1 /), out).toBe(true);
    // "hello" behind its 4-byte big-endian length, out and echoed back.
    expect(has('client → server', /Len=9 .*payload 0000000568656c6c6f$/), out).toBe(true);
    expect(has('server → client', /Len=9 .*payload 0000000568656c6c6f$/), out).toBe(true);
    expect(has('client → server', /\[FIN, ACK\]/), out).toBe(true);
    expect(has('server → client', /\[FIN, ACK\]/), out).toBe(true);
    expect(packets.at(0), out).toMatch(/\[SYN\]/);
  });
});
