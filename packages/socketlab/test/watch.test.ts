import path from 'node:path';
import { PassThrough } from 'node:stream';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../src/main.ts';
import { recordIo } from './helpers/io.ts';
import { REPO, solve, tempRepo } from './helpers/temp-repo.ts';

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

  it('reads single key presses in raw mode on a terminal, and q stops a run in progress and restores the terminal', async () => {
    const keys = Object.assign(new PassThrough(), {
      isTTY: true,
      modes: [] as boolean[],
      setRawMode(mode: boolean) {
        keys.modes.push(mode);
        return keys;
      },
    });
    const cli = recordIo(
      {
        SOCKETLAB_ROOT: REPO,
        SOCKETLAB_PROGRESS: path.join(await tempDir('socketlab-tty-'), 'p.json'),
      },
      keys,
    );
    onTestFinished(() => cli.abort());
    const watching = runCli(['watch', 'basics/03'], cli);
    await cli.waitFor(/basics\/03-ports: grading/);
    expect(cli.text()).not.toMatch(/type the letter, then Enter/);
    keys.write('q'); // one key, no Enter
    expect(await watching).toBe(0);
    expect(keys.modes).toEqual([true, false]);
    expect(cli.text()).not.toMatch(/First failure/);
  });
});
