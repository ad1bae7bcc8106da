import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiSurface,
  checkSourceLayout,
  formatApiSurface,
  namesMissingFromReadme,
} from '../src/layout.ts';
import { tempDir } from '../src/temp.ts';

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('testkit-layout-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('apiSurface', () => {
  it('lists values and type-only names, each sorted', async () => {
    const dir = await tree({
      'index.ts': [
        "export { b, type Z, a } from './x/index.ts';",
        "export type { Y } from './y/index.ts';",
      ].join('\n'),
    });
    const surface = apiSurface(path.join(dir, 'index.ts'));
    expect(surface).toEqual({ values: ['a', 'b'], types: ['Y', 'Z'] });
    expect(formatApiSurface(surface)).toBe('a\nb\ntype Y\ntype Z\n');
  });

  it('refuses export * and local declarations: the surface is chosen name by name', async () => {
    const star = await tree({ 'index.ts': "export * from './x.ts';" });
    expect(() => apiSurface(path.join(star, 'index.ts'))).toThrow(/export \*/);
    const local = await tree({ 'index.ts': 'export const answer = 42;' });
    expect(() => apiSurface(path.join(local, 'index.ts'))).toThrow(/only re-exports by name/);
  });
});

describe('namesMissingFromReadme', () => {
  it('finds a name only as a whole word', () => {
    const readme = '`createTcpServer(options)` and TcpConnection.';
    expect(namesMissingFromReadme(readme, ['createTcpServer', 'TcpConnection', 'Tcp'])).toEqual([
      'Tcp',
    ]);
  });
});

describe('checkSourceLayout', () => {
  it('accepts imports through an area index, within an area, and of top-level files', async () => {
    const dir = await tree({
      'errors.ts': 'export class E extends Error {}',
      'index.ts': "export { a } from './a/index.ts';",
      'a/index.ts': "export { a } from './a.ts';",
      'a/a.ts':
        "import { b } from '../b/index.ts';\nimport { E } from '../errors.ts';\nexport const a = [b, E];",
      'b/index.ts': "export { b } from './b.ts';",
      'b/b.ts': 'export const b = 1;',
    });
    expect(checkSourceLayout(dir)).toEqual([]);
  });

  it('names a deep import across areas and the index to use instead', async () => {
    const dir = await tree({
      'a/a.ts': "import { b } from '../b/b.ts';\nexport const a = b;",
      'b/index.ts': "export { b } from './b.ts';",
      'b/b.ts': 'export const b = 1;',
    });
    expect(checkSourceLayout(dir)).toEqual([
      { kind: 'deep-import', message: 'a/a.ts imports b/b.ts: go through b/index.ts' },
    ]);
  });

  it('reports a cycle once, with its path, but not one made only of type imports', async () => {
    const dir = await tree({
      'a/index.ts': "export { a } from './a.ts';",
      'a/a.ts': "import { b } from '../b/index.ts';\nexport const a = () => b;",
      'b/index.ts': "export { b } from './b.ts';",
      'b/b.ts': "import { a } from '../a/index.ts';\nexport const b = () => a;",
      'c/index.ts': "import type { D } from '../d/index.ts';\nexport type C = D;",
      'd/index.ts': "import type { C } from '../c/index.ts';\nexport type D = C | 1;",
    });
    const problems = checkSourceLayout(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toBe(
      'import cycle: a/a.ts → b/index.ts → b/b.ts → a/index.ts → a/a.ts',
    );
  });
});
