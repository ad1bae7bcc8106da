import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawnSource, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = new URL('../../', import.meta.url);
/** Starting Node with tsx under CI's full load has taken over 10 s. */
const RUN_MS = 60_000;

let curl = false;
try {
  execFileSync('sh', ['-c', 'command -v curl'], { stdio: 'ignore' });
  curl = true;
} catch {
  if (process.env.CI !== 'true')
    console.log('sse/lesson.test.ts: skipped, no curl (apt-get install curl)');
}

describe.skipIf(!curl && process.env.CI !== 'true')(
  'lessons/webhooks-and-sse.md',
  { timeout: RUN_MS + 10_000 },
  () => {
    it('shows the bytes examples/lesson-sse.ts prints: the stream, the resume and the webhook', async () => {
      const program = spawnSource(PACKAGE_DIR, 'examples/lesson-sse.ts');
      const { code } = await withTimeout(
        program.exited,
        'examples/lesson-sse.ts to finish',
        RUN_MS,
      );
      const out = code === 0 ? program.stdout() : program.output();
      expect(code, out).toBe(0);
      const page = readFileSync(new URL('lessons/webhooks-and-sse.md', PACKAGE_DIR), 'utf8');
      // Every printed line but those holding this run's port, clock or signature is on the page.
      const lines = out
        .split('\n')
        .map((line) => line.trim())
        .filter(
          (line) =>
            line !== '' &&
            !line.endsWith(':') &&
            !/127\.0\.0\.1:\d+|webhook-signature|createdAt|verifyWebhook/.test(line),
        );
      expect(lines.length).toBeGreaterThan(20);
      expect(lines.filter((line) => !page.includes(line))).toEqual([]);
      expect(out).toContain('verifyWebhook → {"timestamp":');
    });
  },
);
