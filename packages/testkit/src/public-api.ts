/**
 * The tests every published package runs on its public API, declared once: each entry's names
 * against its checked-in surface file, each entry's run-time values against those names, and the
 * README (the API reference) against every exported value.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiSurface, formatApiSurface, namesMissingFromReadme } from './layout.ts';

/** One public entry of a package: its subpath in `exports`, its source file and its surface file. */
export interface PublicEntry {
  readonly subpath: string;
  readonly source: string;
  readonly surfaceFile: string;
}

/**
 * The public entries of a package, read from its `exports` map: every subpath whose target has a
 * `@socketlab/source` condition. `.` keeps `api-surface.txt`; `./realtime` gets
 * `api-surface.realtime.txt`.
 */
export function publicEntries(packageRoot: URL): PublicEntry[] {
  const manifest = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  const entries: PublicEntry[] = [];
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target !== 'object' || target === null) continue;
    const source = (target as Record<string, unknown>)['@socketlab/source'];
    if (typeof source !== 'string') continue;
    const suffix = subpath === '.' ? '' : `.${subpath.replace(/^\.\//, '').replaceAll('/', '-')}`;
    entries.push({
      subpath,
      source: source.replace(/^\.\//, ''),
      surfaceFile: `api-surface${suffix}.txt`,
    });
  }
  if (entries.length === 0)
    entries.push({ subpath: '.', source: 'src/index.ts', surfaceFile: 'api-surface.txt' });
  return entries;
}

/**
 * Declares the public-API suite of the package whose root is `packageRoot` (a URL ending in `/`,
 * e.g. `new URL('..', import.meta.url)` from its `test/` folder), one block per entry of its
 * `exports` map. Accept a deliberate change of a surface with `vitest run test/api-surface.test.ts -u`.
 */
export function describePublicApi(packageRoot: URL): void {
  for (const { subpath, source, surfaceFile } of publicEntries(packageRoot)) {
    const entry = new URL(source, packageRoot);
    describe(subpath === '.' ? 'the public API' : `the public API of ${subpath}`, () => {
      const surface = apiSurface(entry);

      it('is the checked-in list: a change to it is a reviewed change (update with vitest -u)', async () => {
        await expect(formatApiSurface(surface)).toMatchFileSnapshot(
          fileURLToPath(new URL(surfaceFile, packageRoot)),
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
}
