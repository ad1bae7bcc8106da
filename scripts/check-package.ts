/**
 * Proves a published package works the way a developer will use it: packed as npm would publish
 * it, installed into a plain project outside the workspace, imported from a plain Node ES module,
 * and type-checked from a TypeScript file (so the `.d.ts` files are present and right). Also runs
 * publint on it and `--help` of each command it installs. A stage that depends on an earlier
 * stage is installed with that stage's packed tarball, as a registry would serve both.
 *
 * Each published package runs it as its own turbo task (`check:package`, after its build and its
 * dependencies' builds, cached on them):
 *   pnpm check:package                                              every published package
 *   pnpm exec tsx scripts/check-package.ts [--package DIR] [--report FILE]   one, directly
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type PackageManifest,
  ROOT,
  readWorkspace,
  type WorkspacePackage,
} from './lib/workspace.ts';

const { values } = parseArgs({
  options: {
    package: { type: 'string', default: '.' },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: tsx scripts/check-package.ts [--package DIR] [--report FILE]

Packs the package in DIR (default: the current folder) with its published workspace dependencies,
installs it outside the workspace, imports it from Node, type-checks against it, runs publint and
each command's --help. Needs the package and its dependencies built first.
  --report FILE  also write the result as JSON, relative to the current folder`);
  process.exit(0);
}

const workspace = readWorkspace();
const byName = new Map(workspace.map((p) => [p.manifest.name, p]));
const target = workspace.find((p) => p.dir === path.resolve(values.package));
if (!target) {
  console.error(`${path.resolve(values.package)} is not a workspace package`);
  process.exit(1);
}

/** The package and every published workspace package it depends on, dependencies first. */
function withDependencies(pkg: WorkspacePackage, seen = new Set<string>()): WorkspacePackage[] {
  if (seen.has(pkg.manifest.name)) return [];
  seen.add(pkg.manifest.name);
  const deps = Object.keys(pkg.manifest.dependencies ?? {}).flatMap((name) => {
    const dep = byName.get(name);
    return dep && dep.manifest.private !== true ? withDependencies(dep, seen) : [];
  });
  return [...deps, pkg];
}

const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });

/** The commands a package installs, by name. */
const binNames = (manifest: PackageManifest): string[] =>
  typeof manifest.bin === 'string'
    ? [manifest.name.replace(/^@[^/]+\//, '')]
    : Object.keys(manifest.bin ?? {});

/** What a user imports: the package name and each code subpath of its published `exports`. */
function entrySpecifiers(manifest: PackageManifest): string[] {
  const exportsMap = (manifest.publishConfig?.exports ?? manifest.exports ?? {}) as Record<
    string,
    unknown
  >;
  const subpaths = Object.keys(exportsMap).filter((key) => !key.endsWith('.json'));
  if (subpaths.length === 0) return [manifest.name];
  return subpaths.map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

/** `name@range` of each optional peer dependency, so every entry can load in the consumer. */
function optionalPeers(manifest: PackageManifest): string[] {
  const meta = manifest.peerDependenciesMeta ?? {};
  return Object.entries(manifest.peerDependencies ?? {})
    .filter(([peer]) => meta[peer]?.optional === true)
    .map(([peer, range]) => `${peer}@${range}`);
}

function check(pkg: WorkspacePackage, work: string): string {
  const { manifest } = pkg;
  run(path.join(ROOT, 'node_modules/.bin/publint'), ['--strict'], pkg.dir);
  const tarballs = withDependencies(pkg).map((p) =>
    path.resolve(
      p.dir,
      run('pnpm', ['pack', '--pack-destination', work], p.dir).trim().split('\n').at(-1) ?? '',
    ),
  );
  const project = path.join(work, 'consumer');
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
      ...tarballs,
      // A Node library's consumer has Node's types: the workspace's pinned copy.
      realpathSync(path.join(ROOT, 'node_modules/@types/node')),
      // Optional peers (socket.io for a `./realtime` subpath) are what a user of every entry installs.
      ...optionalPeers(manifest),
    ],
    project,
  );
  const specifiers = entrySpecifiers(manifest);
  writeFileSync(
    path.join(project, 'smoke.mjs'),
    `let count = 0;\nfor (const specifier of ${JSON.stringify(specifiers)}) {\n  const names = Object.keys(await import(specifier));\n  if (names.length === 0) throw new Error(\`\${specifier} exports nothing\`);\n  count += names.length;\n}\nconsole.log(count);\n`,
  );
  const count = run(process.execPath, ['smoke.mjs'], project).trim();
  writeFileSync(
    path.join(project, 'types.ts'),
    specifiers
      .map(
        (specifier, i) =>
          `import * as lib${i} from '${specifier}';\nexport const names${i}: Array<keyof typeof lib${i}> = Object.keys(lib${i}) as Array<keyof typeof lib${i}>;\n`,
      )
      .join(''),
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
  const siblings = tarballs.length - 1;
  const binText = bins.length > 0 ? `, ${bins.join(', ')} --help runs` : '';
  const siblingText =
    siblings > 0 ? ` (with ${siblings} sibling stage${siblings === 1 ? '' : 's'})` : '';
  const entryText = specifiers.length > 1 ? ` from ${specifiers.length} entries` : '';
  return `packed, installed outside the workspace${siblingText}, ${count} exports${entryText} imported from plain Node, types resolve${binText}, publint clean`;
}

const result = { name: target.manifest.name, ok: false, detail: '' };
const work = mkdtempSync(path.join(os.tmpdir(), 'socketlab-package-'));
try {
  if (target.manifest.private === true) throw new Error('is private: it is never published');
  result.detail = check(target, work);
  result.ok = true;
} catch (err) {
  const e = err as { stdout?: string; stderr?: string; message: string };
  result.detail = `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`${result.ok ? '  ✓' : '  ✗'} ${result.name}: ${result.detail}`);
if (values.report) {
  const file = path.resolve(values.report);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ passed: result.ok ? 1 : 0, failed: result.ok ? 0 : 1, checks: [result] }, null, 2)}\n`,
  );
}
process.exit(result.ok ? 0 : 1);
