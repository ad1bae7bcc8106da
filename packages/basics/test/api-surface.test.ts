import { readFileSync } from 'node:fs';
import { apiSurface, formatApiSurface, namesMissingFromReadme } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

const ENTRY = new URL('../src/index.ts', import.meta.url);

describe('the public API', () => {
  const surface = apiSurface(ENTRY);

  it('is the checked-in list: a change to it is a reviewed change (update with vitest -u)', async () => {
    await expect(formatApiSurface(surface)).toMatchFileSnapshot('../api-surface.txt');
  });

  it('exports at run time exactly the values the entry names', async () => {
    const runtime = Object.keys(await import('../src/index.ts')).sort();
    expect(runtime).toEqual([...surface.values]);
  });

  it('documents every exported value in the README, the API reference', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(namesMissingFromReadme(readme, surface.values)).toEqual([]);
  });
});
