/**
 * Proves each published package works the way a developer will use it: packed as npm would
 * publish it, installed into a plain project outside the workspace, imported from a plain Node
 * ES module, and type-checked from a TypeScript file (so the `.d.ts` files are present and right).
 * Also runs publint on each package and `--help` of each command it installs. A stage that
 * depends on an earlier stage is installed with that stage's packed tarball. Needs `pnpm build` first.
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

interface Manifest {
  name: string;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
}

/** The commands a package installs, by name. */
const binNames = (manifest: Manifest): string[] =>
  typeof manifest.bin === 'string'
    ? [manifest.name.replace(/^@[^/]+\//, '')]
    : Object.keys(manifest.bin ?? {});

try {
  // Pack every published package first: a stage that depends on an earlier stage is installed
  // together with that stage's tarball, as a registry would serve both.
  const tarballs = new Map<string, string>();
  const packErrors = new Map<string, string>();
  for (const dir of published) {
    const { name } = readJson<Manifest>(path.join(dir, 'package.json'));
    try {
      run(path.join(ROOT, 'node_modules/.bin/publint'), ['--strict'], dir);
      const packed =
        run('pnpm', ['pack', '--pack-destination', work], dir).trim().split('\n').at(-1) ?? '';
      tarballs.set(name, path.resolve(dir, packed));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      packErrors.set(name, `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim());
    }
  }
  for (const dir of published) {
    const manifest = readJson<Manifest>(path.join(dir, 'package.json'));
    const { name } = manifest;
    const tarball = tarballs.get(name);
    if (!tarball) {
      results.push({ name, ok: false, detail: packErrors.get(name) ?? 'not packed' });
      continue;
    }
    try {
      const siblings = Object.keys(manifest.dependencies ?? {}).flatMap((dep) => {
        const sibling = tarballs.get(dep);
        return sibling ? [sibling] : [];
      });
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
          tarball,
          ...siblings,
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
      // Each command the package installs runs from node_modules/.bin and answers --help.
      const bins = binNames(manifest);
      for (const bin of bins) {
        const help = run(path.join(project, 'node_modules/.bin', bin), ['--help'], project);
        if (!/usage/i.test(help)) throw new Error(`${bin} --help printed no usage:\n${help}`);
      }
      const binText = bins.length > 0 ? `, ${bins.join(', ')} --help runs` : '';
      const siblingText = siblings.length > 0 ? ` (with ${siblings.length} sibling stage)` : '';
      results.push({
        name,
        ok: true,
        detail: `packed, installed outside the workspace${siblingText}, ${count} exports imported from plain Node, types resolve${binText}, publint clean`,
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
