import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Topic {
  id: string;
  stage: string;
  title: string;
  kind: string;
  requires: Array<'lesson' | 'code' | 'exercise'>;
}

export interface Curriculum {
  stages: Array<{ stage: number; name: string; package: string }>;
  topics: Topic[];
  apps: Array<{ name: string; combines: string[]; description: string }>;
}

/** A test that may pass against the untouched starter, with the written reason why that is honest. */
export interface StarterPass {
  /** The test's full name as vitest reports it (describe titles and the test title, space-joined). */
  test: string;
  why: string;
}

export interface StageManifest {
  stage: number;
  name: string;
  title: string;
  summary: string;
  lessons: Array<{ file: string; title: string; covers: string[] }>;
  exercises: Array<{
    id: string;
    title: string;
    covers: string[];
    /** A program in another language that the wire-level spec must pass against (cmd: target). */
    cmdExample?: string;
    /** Tests allowed to pass against the untouched starter; every other test must fail there. */
    passesAgainstStarter?: StarterPass[];
  }>;
  library: Array<{ module: string; covers: string[]; tests: string[] }>;
  /**
   * Set while the stage is being built (it is not published yet): `pnpm curriculum --strict`
   * still lists what it lacks, but does not fail on it. Remove it when the stage is released.
   */
  inProgress?: string;
}

/** The fields of a workspace package's package.json that the scripts read. */
export interface PackageManifest {
  name: string;
  private?: boolean;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports?: Record<string, unknown>;
  publishConfig?: { exports?: Record<string, unknown> };
  scripts?: Record<string, string>;
}

/** One workspace package: its folder, its package.json and, for a stage, its stage.json. */
export interface WorkspacePackage {
  dir: string;
  manifest: PackageManifest;
  stage?: StageManifest;
}

export interface Stage {
  dir: string;
  packageName: string;
  manifest: StageManifest;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function readCurriculum(): Curriculum {
  return readJson<Curriculum>(path.join(ROOT, 'curriculum.json'));
}

/**
 * The `packages:` globs of pnpm-workspace.yaml. Only the forms this repository uses are
 * understood (`dir/*` and a plain folder); anything else is refused rather than guessed at.
 */
function workspaceGlobs(): string[] {
  const yaml = readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\s*\n((?:[ \t]+-[^\n]*\n?|[ \t]*#[^\n]*\n?)*)/m.exec(yaml)?.[1] ?? '';
  const globs = [...block.matchAll(/^[ \t]+-[ \t]*["']?([^"'#\n]+?)["']?[ \t]*$/gm)].map(
    (m) => m[1] ?? '',
  );
  for (const glob of globs) {
    if (!/^[\w.-]+(\/[\w.-]+)*(\/\*)?$/.test(glob)) {
      throw new Error(`pnpm-workspace.yaml: the glob ${glob} is not understood by scripts/lib`);
    }
  }
  return globs;
}

/**
 * Every workspace package, from pnpm-workspace.yaml's globs: the one list of packages that
 * verify, the honesty check, the packaging check and the curriculum all read. Sorted by stage
 * (packages without a stage.json first), then by folder.
 */
export function readWorkspace(): WorkspacePackage[] {
  const dirs = workspaceGlobs().flatMap((glob) => {
    if (!glob.endsWith('/*')) return [path.join(ROOT, glob)];
    const parent = path.join(ROOT, glob.slice(0, -2));
    return existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => path.join(parent, d.name))
      : [];
  });
  return dirs
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => {
      const stageFile = path.join(dir, 'stage.json');
      const pkg: WorkspacePackage = {
        dir,
        manifest: readJson<PackageManifest>(path.join(dir, 'package.json')),
      };
      if (existsSync(stageFile)) pkg.stage = readJson<StageManifest>(stageFile);
      return pkg;
    })
    .sort((a, b) => (a.stage?.stage ?? 0) - (b.stage?.stage ?? 0) || a.dir.localeCompare(b.dir));
}

/** Every workspace package that has a stage.json, in stage order. */
export function readStages(): Stage[] {
  return readWorkspace().flatMap(({ dir, manifest, stage }) =>
    stage ? [{ dir, packageName: manifest.name, manifest: stage }] : [],
  );
}

/** The subset of vitest's JSON report that we read. */
export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
  numTotalTests: number;
  /** False also when every test passed but vitest caught an error outside them (unhandled). */
  success?: boolean;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{ fullName: string; status: string; failureMessages?: string[] }>;
  }>;
}

export function readReport(file: string): VitestReport | undefined {
  return existsSync(file) ? readJson<VitestReport>(file) : undefined;
}

/** Test counts per spec file, keyed by path relative to `dir`. */
export function countsByFile(
  report: VitestReport,
  dir: string,
): Map<string, { passed: number; failed: number; other: number; fileError?: string }> {
  const counts = new Map<
    string,
    { passed: number; failed: number; other: number; fileError?: string }
  >();
  for (const file of report.testResults) {
    const passed = file.assertionResults.filter((a) => a.status === 'passed').length;
    const failed = file.assertionResults.filter((a) => a.status === 'failed').length;
    const other = file.assertionResults.length - passed - failed;
    const entry: { passed: number; failed: number; other: number; fileError?: string } = {
      passed,
      failed,
      other,
    };
    // A file that fails to load (a top-level throw) has no assertions but a failed status.
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      entry.fileError = file.message ?? 'the spec file failed to load';
    }
    counts.set(path.relative(dir, file.name), entry);
  }
  return counts;
}
