import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { FtError } from '../src/errors.ts';
import { planTransfer } from '../src/sender/plan.ts';

describe('planTransfer: what a send will send', () => {
  it('walks folders in name order, keeps empty ones, and never follows a symlink out of the tree', async () => {
    const base = await tempDir('ft-plan-');
    const tree = path.join(base, 'tree');
    await mkdir(path.join(tree, 'sub', 'empty'), { recursive: true });
    await writeFile(path.join(tree, 'b.txt'), 'bb');
    await writeFile(path.join(tree, 'a.txt'), 'a');
    await writeFile(path.join(base, 'secret.txt'), 'outside');
    await symlink('../b.txt', path.join(tree, 'sub', 'in-tree'));
    await symlink(path.join(base, 'secret.txt'), path.join(tree, 'sub', 'out-of-tree'));
    await symlink('..', path.join(tree, 'sub', 'loop'));
    await symlink('missing', path.join(tree, 'dangling'));
    const plan = await planTransfer([tree]);
    expect(plan.directories).toEqual(['tree', 'tree/sub', 'tree/sub/empty']);
    expect(plan.files.map((f) => [f.name, f.size])).toEqual([
      ['tree/a.txt', 1],
      ['tree/b.txt', 2],
      ['tree/sub/in-tree', 2],
    ]);
    expect(plan.bytes).toBe(5);
    expect(plan.leftOut.map((l) => [path.basename(l.path), l.why])).toEqual([
      ['dangling', 'a symlink out of the folder or dangling (not followed)'],
      ['loop', 'a symlink to a folder (not followed)'],
      ['out-of-tree', 'a symlink out of the folder or dangling (not followed)'],
    ]);
  });

  it('follows a symlink named on the command line, as cp and scp do', async () => {
    const base = await tempDir('ft-plan-');
    await writeFile(path.join(base, 'real.txt'), 'x');
    await symlink(path.join(base, 'real.txt'), path.join(base, 'named.txt'));
    const plan = await planTransfer([path.join(base, 'named.txt')]);
    expect(plan.files.map((f) => f.name)).toEqual(['named.txt']);
  });

  it.each([
    [
      'two paths with one name',
      async (base: string) => {
        await mkdir(path.join(base, 'x'));
        await writeFile(path.join(base, 'x', 'a.txt'), '1');
        await writeFile(path.join(base, 'a.txt'), '2');
        return [path.join(base, 'a.txt'), path.join(base, 'x', 'a.txt')];
      },
      'FT_ERR_SOURCE',
    ],
    [
      'a name the receiver would refuse',
      async (base: string) => {
        await writeFile(path.join(base, 'nul.txt'), '1');
        return [path.join(base, 'nul.txt')];
      },
      'FT_ERR_UNSAFE_NAME',
    ],
    ['a missing path', async (base: string) => [path.join(base, 'missing')], 'FT_ERR_SOURCE'],
  ])('refuses %s before connecting', async (_, make, code) => {
    const base = await tempDir('ft-plan-');
    const error = await planTransfer(await make(base)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FtError);
    expect((error as FtError).code).toBe(code);
  });
});
