import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildWebPage } from '../src/web-page.ts';

/** A page folder as apps keep it: web/index.html, web/styles.css, web/src/main.ts (+ an import). */
async function page(main: string): Promise<{ webDir: string; outDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'web-page-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const webDir = join(root, 'web');
  await mkdir(join(webDir, 'src'), { recursive: true });
  await writeFile(join(webDir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(webDir, 'styles.css'), 'body {\n  margin: 0;\n}\n');
  await writeFile(
    join(webDir, 'src', 'greet.ts'),
    "export const greet = (n: string): string => 'hi ' + n;\n",
  );
  await writeFile(join(webDir, 'src', 'main.ts'), main);
  return { webDir, outDir: join(root, 'out', 'web') };
}

describe('buildWebPage', () => {
  it('bundles main.ts with its imports, minifies the CSS and copies index.html, with maps', async () => {
    const { webDir, outDir } = await page(
      "import { greet } from './greet.ts';\ndocument.title = greet('page');\n",
    );
    await buildWebPage(webDir, outDir);
    expect((await readdir(outDir)).sort()).toEqual([
      'app.css',
      'app.css.map',
      'app.js',
      'app.js.map',
      'index.html',
    ]);
    const js = await readFile(join(outDir, 'app.js'), 'utf8');
    expect(js).toContain('hi ');
    expect(js).not.toContain('import ');
    expect(await readFile(join(outDir, 'app.css'), 'utf8')).toMatch(/^body\{margin:0\}/);
    expect(await readFile(join(outDir, 'index.html'), 'utf8')).toBe(
      '<!doctype html><title>t</title>',
    );
  });

  it('fails the build for a page that imports a node: module, which no browser can load', async () => {
    const { webDir, outDir } = await page(
      "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n",
    );
    await expect(buildWebPage(webDir, outDir)).rejects.toThrow(/node:fs/);
  });
});
