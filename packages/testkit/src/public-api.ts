/**
 * The tests every published package runs on its public API, declared once: the entry's names
 * against the checked-in `api-surface.txt`, the entry's run-time values against those names, and
 * the README (the API reference) against every exported value.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiSurface, formatApiSurface, namesMissingFromReadme } from './layout.ts';

/**
 * Declares the public-API suite of the package whose root is `packageRoot` (a URL ending in `/`,
 * e.g. `new URL('..', import.meta.url)` from its `test/` folder). Its entry is `src/index.ts`.
 * Accept a deliberate change of the surface with `vitest run test/api-surface.test.ts -u`.
 */
export function describePublicApi(packageRoot: URL): void {
  const entry = new URL('src/index.ts', packageRoot);
  describe('the public API', () => {
    const surface = apiSurface(entry);

    it('is the checked-in list: a change to it is a reviewed change (update with vitest -u)', async () => {
      await expect(formatApiSurface(surface)).toMatchFileSnapshot(
        fileURLToPath(new URL('api-surface.txt', packageRoot)),
      );
    });

    it('exports at run time exactly the values the entry names', async () => {
      const runtime = Object.keys(await import(entry.href)).sort();
      expect(runtime).toEqual([...surface.values]);
    });

    it('documents every exported value in the README, the API reference', () => {
      const readme = readFileSync(new URL('README.md', packageRoot), 'utf8');
      expect(namesMissingFromReadme(readme, surface.values)).toEqual([]);
    });
  });
}
