/**
 * The link check (`pnpm check:links`): every relative link in every Markdown file the repository
 * tracks must resolve, to a file or folder that exists and, when it names a `#section`, to a
 * heading of that Markdown file (GitHub's anchor rules). Web links are not fetched.
 *
 *   pnpm check:links [--report .reports/links.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/workspace.ts';

const { values } = parseArgs({
  options: {
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: pnpm check:links [--report FILE]

Checks that every relative link in every tracked Markdown file resolves to a file or folder
that exists, and that every #anchor names a heading of the Markdown file it points to.
  --report FILE  also write {passed, failed, broken[]} as JSON`);
  process.exit(0);
}

/** One link as written: where, and what it points to. */
interface Link {
  readonly file: string;
  readonly line: number;
  readonly href: string;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[`*~]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const FENCE = /^\s*(```|~~~)/;

/** The anchors of a Markdown file's headings, with GitHub's -1, -2 suffixes for repeats. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const base = headingAnchor(heading[1]);
    const count = seen.get(base) ?? 0;
    anchors.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  return anchors;
}

/** Inline links and images `[x](href)` and reference definitions `[x]: href`, outside code. */
function linksOf(file: string, text: string): Link[] {
  const links: Link[] = [];
  let inFence = false;
  text.split('\n').forEach((line, index) => {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file, line: index + 1, href: match[1] ?? '' });
    }
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(prose);
    if (definition?.[1]) links.push({ file, line: index + 1, href: definition[1] });
  });
  return links;
}

const tracked = execFileSync('git', ['ls-files', '-z', '--', '*.md'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\0')
  .filter(
    (file) => file !== '' && !file.includes('node_modules/') && existsSync(path.join(ROOT, file)),
  );

const anchorCache = new Map<string, Set<string>>();
const anchorsFor = (file: string): Set<string> => {
  let anchors = anchorCache.get(file);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(file, 'utf8'));
    anchorCache.set(file, anchors);
  }
  return anchors;
};

const broken: { where: string; href: string; why: string }[] = [];
let checked = 0;
for (const relative of tracked) {
  const file = path.join(ROOT, relative);
  for (const link of linksOf(relative, readFileSync(file, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.href) || link.href.startsWith('//')) continue; // web, mailto
    checked++;
    const [target = '', anchor] = link.href.split('#', 2);
    const resolved = target === '' ? file : path.resolve(path.dirname(file), decodeURI(target));
    const where = `${relative}:${link.line}`;
    if (!existsSync(resolved)) {
      broken.push({
        where,
        href: link.href,
        why: `${path.relative(ROOT, resolved)} does not exist`,
      });
      continue;
    }
    if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      if (!anchorsFor(resolved).has(anchor.toLowerCase())) {
        broken.push({
          where,
          href: link.href,
          why: `no heading with the anchor #${anchor} in ${path.relative(ROOT, resolved)}`,
        });
      }
    }
  }
}

for (const { where, href, why } of broken) console.log(`  ✗ ${where}: (${href}) ${why}`);
console.log(
  `link check: ${checked - broken.length} of ${checked} relative links in ${tracked.length} Markdown files resolve`,
);
if (values.report) {
  writeFileSync(
    path.resolve(values.report),
    `${JSON.stringify({ passed: checked - broken.length, failed: broken.length, broken }, null, 2)}\n`,
  );
}
process.exit(broken.length === 0 ? 0 : 1);
