/**
 * Checks of a package's shape that its own tests run: the public surface its entry exports
 * (compared with a checked-in list), the README that documents it, and the rule that areas of
 * `src/` (one folder each) import one another only through their `index.ts`, with no cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The names a package entry exports, split into runtime values and type-only names. */
export interface ApiSurface {
  readonly values: readonly string[];
  readonly types: readonly string[];
}

const toPath = (file: string | URL): string =>
  typeof file === 'string' ? file : fileURLToPath(file);

/**
 * Reads the names an entry file exports. The entry must re-export by name
 * (`export { a, type B } from './area/index.ts'`): an `export *` or a local declaration throws,
 * because a surface chosen name by name is the point.
 */
export function apiSurface(entry: string | URL): ApiSurface {
  const file = toPath(entry);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const values: string[] = [];
  const types: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement)) {
      if (ts.isImportDeclaration(statement)) continue;
      throw new Error(
        `${file}: an entry only re-exports by name; found \`${statement.getText(source).slice(0, 60)}\``,
      );
    }
    const clause = statement.exportClause;
    if (!clause || !ts.isNamedExports(clause)) {
      throw new Error(`${file}: \`export *\` is not allowed in an entry; export each name`);
    }
    for (const element of clause.elements) {
      (statement.isTypeOnly || element.isTypeOnly ? types : values).push(element.name.text);
    }
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return { values: values.sort(byName), types: types.sort(byName) };
}

/** The surface as the checked-in text: one name a line, values first, then `type Name` lines. */
export function formatApiSurface(surface: ApiSurface): string {
  return `${[...surface.values, ...surface.types.map((name) => `type ${name}`)].join('\n')}\n`;
}

/** The names that a README never mentions as a whole word (in code spans, tables or prose). */
export function namesMissingFromReadme(readme: string, names: readonly string[]): string[] {
  return names.filter(
    (name) => !new RegExp(`(^|[^\\w$])${escapeRegExp(name)}($|[^\\w$])`).test(readme),
  );
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A breach of the layout rule, as a sentence that names both files. */
export interface LayoutProblem {
  readonly kind: 'deep-import' | 'cycle';
  readonly message: string;
}

/**
 * Checks `src/`: a file in one area (a folder directly under `src/`) may import another area only
 * through that area's `index.ts`; files at the top of `src/` (the entry, `errors.ts`) are shared
 * by all. Also reports every import cycle among modules (type-only imports do not count: they
 * vanish at run time).
 */
export function checkSourceLayout(srcDir: string | URL): LayoutProblem[] {
  const root = toPath(srcDir);
  const files = listTs(root);
  const problems: LayoutProblem[] = [];
  const graph = new Map<string, string[]>();
  const areaOf = (file: string): string | undefined => {
    const parts = path.relative(root, file).split(path.sep);
    return parts.length > 1 ? parts[0] : undefined;
  };
  for (const file of files) {
    const edges: string[] = [];
    for (const { specifier, typeOnly } of relativeImports(file)) {
      const target = path.resolve(path.dirname(file), specifier);
      const from = areaOf(file);
      const to = areaOf(target);
      if (to !== undefined && to !== from && path.basename(target) !== 'index.ts') {
        problems.push({
          kind: 'deep-import',
          message: `${rel(root, file)} imports ${rel(root, target)}: go through ${to}/index.ts`,
        });
      }
      if (!typeOnly) edges.push(target);
    }
    graph.set(file, edges);
  }
  for (const cycle of findCycles(graph)) {
    problems.push({
      kind: 'cycle',
      message: `import cycle: ${cycle.map((file) => rel(root, file)).join(' → ')}`,
    });
  }
  return problems;
}

const rel = (root: string, file: string): string => path.relative(root, file);

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function relativeImports(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    let typeOnly: boolean;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      typeOnly =
        clause?.isTypeOnly === true ||
        (clause !== undefined &&
          clause.name === undefined &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((element) => element.isTypeOnly));
    } else {
      const clause = statement.exportClause;
      typeOnly =
        statement.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((element) => element.isTypeOnly));
    }
    found.push({ specifier: specifier.text, typeOnly });
  }
  return found;
}

/** Every elementary cycle found by a depth-first search, each reported once (from its first file). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next) && graph.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
