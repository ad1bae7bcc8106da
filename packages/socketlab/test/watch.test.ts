import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../src/main.ts';
import { recordIo } from './helpers/io.ts';
import { solve, tempRepo } from './helpers/temp-repo.ts';

describe('socketlab watch', () => {
  it('shows the first failure, turns green on save, records it and moves on; keys work as plain lines', async () => {
    const root = await tempRepo(['basics']);
    const keys = new PassThrough();
    const io = recordIo(
      { SOCKETLAB_ROOT: root, SOCKETLAB_PROGRESS: path.join(root, 'progress.json') },
      keys,
    );
    onTestFinished(() => io.abort());
    const watching = runCli(['watch', 'basics/01', '--debounce', '50'], io);

    await io.waitFor(/First failure — sendLine[\s\S]*not implemented yet/);
    // Only the first failure is shown in full, not one per test.
    expect(io.text().match(/First failure/g)).toHaveLength(1);

    const before = io.stdout.length;
    solve(root, 'basics', '01-first-socket');
    await io.waitFor(/basics\/01-first-socket passes\. Recorded/, 60_000, before);
    await io.waitFor(/Next: basics\/02-addresses[\s\S]*│ # 02/, 5_000, before);
    await io.waitFor(/✗ basics\/02-addresses[\s\S]*First failure/, 60_000, before);

    keys.write('h\n');
    await io.waitFor(/Hint 1 of \d+ for basics\/02-addresses/, 30_000, before);
    keys.write('q\n');
    expect(await watching).toBe(0);

    const list = recordIo({
      SOCKETLAB_ROOT: root,
      SOCKETLAB_PROGRESS: path.join(root, 'progress.json'),
    });
    await runCli(['list'], list);
    expect(list.text()).toMatch(/✓ 01-first-socket .* passing/);
    expect(list.text()).toMatch(/→ ✗ 02-addresses .* failing/);
  }, 180_000);
});
