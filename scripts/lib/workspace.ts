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
  }>;
  library: Array<{ module: string; covers: string[]; tests: string[] }>;
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

/** Every workspace package under packages/ that has a stage.json, in stage order. */
export function readStages(): Stage[] {
  const packagesDir = path.join(ROOT, 'packages');
  return readdirSync(packagesDir)
    .map((name) => path.join(packagesDir, name))
    .filter((dir) => existsSync(path.join(dir, 'stage.json')))
    .map((dir) => ({
      dir,
      packageName: readJson<{ name: string }>(path.join(dir, 'package.json')).name,
      manifest: readJson<StageManifest>(path.join(dir, 'stage.json')),
    }))
    .sort((a, b) => a.manifest.stage - b.manifest.stage);
}

/** The subset of vitest's JSON report that we read. */
export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
  numTotalTests: number;
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
