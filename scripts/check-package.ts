/**
 * Proves each published package works the way a developer will use it: packed as npm would
 * publish it, installed into a plain project outside the workspace, imported from a plain Node
 * ES module, and type-checked from a TypeScript file (so the `.d.ts` files are present and right).
 * Also runs publint on each package. Needs `pnpm build` first.
 *
 *   pnpm exec tsx scripts/check-package.ts [--report FILE]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, readJson } from './lib/workspace.ts';

const { values } = parseArgs({ options: { report: { type: 'string' } } });

const published = readdirSync(path.join(ROOT, 'packages'))
  .map((name) => path.join(ROOT, 'packages', name))
  .filter(
    (dir) => readJson<{ private?: boolean }>(path.join(dir, 'package.json')).private !== true,
  );

const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });

const results: Array<{ name: string; ok: boolean; detail: string }> = [];
const work = mkdtempSync(path.join(os.tmpdir(), 'socketlab-package-'));
try {
  for (const dir of published) {
    const { name } = readJson<{ name: string }>(path.join(dir, 'package.json'));
    try {
      run(path.join(ROOT, 'node_modules/.bin/publint'), ['--strict'], dir);
      const packed =
        run('pnpm', ['pack', '--pack-destination', work], dir).trim().split('\n').at(-1) ?? '';
      const project = path.join(work, name.replace(/[@/]/g, '_'));
      mkdirSync(project);
      writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
      run(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          path.resolve(dir, packed),
          // A Node library's consumer has Node's types: the workspace's pinned copy.
          realpathSync(path.join(ROOT, 'node_modules/@types/node')),
        ],
        project,
      );
      writeFileSync(
        path.join(project, 'smoke.mjs'),
        `import * as lib from '${name}';\nconst names = Object.keys(lib);\nif (names.length === 0) throw new Error('${name} exports nothing');\nconsole.log(names.length);\n`,
      );
      const count = run(process.execPath, ['smoke.mjs'], project).trim();
      writeFileSync(
        path.join(project, 'types.ts'),
        `import * as lib from '${name}';\nexport const names: Array<keyof typeof lib> = Object.keys(lib) as Array<keyof typeof lib>;\n`,
      );
      writeFileSync(
        path.join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            types: ['node'],
          },
          files: ['types.ts'],
        }),
      );
      run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
      results.push({
        name,
        ok: true,
        detail: `packed, installed outside the workspace, ${count} exports imported from plain Node, types resolve, publint clean`,
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      results.push({
        name,
        ok: false,
        detail: `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim(),
      });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const r of results) console.log(`${r.ok ? '  ✓' : '  ✗'} ${r.name}: ${r.detail}`);
if (values.report) {
  const failed = results.filter((r) => !r.ok).length;
  writeFileSync(
    path.resolve(ROOT, values.report),
    `${JSON.stringify({ passed: results.length - failed, failed, checks: results }, null, 2)}\n`,
  );
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
