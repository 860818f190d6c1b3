/**
 * The manual holds together: docs/README.md links every page under docs/, every relative link in README.md
 * and docs/*.md leads to a file that exists (and, with a `#fragment` into Markdown, to a heading that exists
 * there), and every path of the repository written as inline code names a file or folder of it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allDocs, readDoc, ROOT } from './markdown';

/** Markdown without fenced code blocks and inline code, where `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Targets of inline links `[text](target "title")` and reference definitions `[id]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
  const defined = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map(
    (m) => m[1] as string,
  );
  return [...inline, ...defined];
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, `-1`, `-2` for repeats. */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, title] of markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (title as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** Relative links of `file` that lead nowhere, as `target (reason)`. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(readDoc(file))) {
    if (isExternal(target)) continue;
    const [pathPart = '', fragment] = target.split('#');
    const resolved = pathPart === '' ? path.join(ROOT, file) : path.resolve(ROOT, path.dirname(file), pathPart);
    if (!fs.existsSync(resolved)) {
      broken.push(`${target} (no file ${path.relative(ROOT, resolved)})`);
    } else if (fragment !== undefined && fragment !== '' && resolved.endsWith('.md')) {
      if (!headingIds(fs.readFileSync(resolved, 'utf8')).has(decodeURIComponent(fragment))) {
        broken.push(`${target} (no heading #${fragment} in ${path.relative(ROOT, resolved)})`);
      }
    }
  }
  return broken;
}

test('docs/README.md links every page under docs/', () => {
  const linked = new Set(
    linkTargets(readDoc('docs/README.md'))
      .filter((t) => !isExternal(t))
      .map((t) => path.normalize(path.join('docs', t.split('#')[0] ?? ''))),
  );
  const pages = allDocs().filter((f) => f.startsWith('docs') && f !== path.join('docs', 'README.md'));
  expect(pages.length).toBeGreaterThan(5);
  expect(pages.filter((f) => !linked.has(f))).toEqual([]);
});

describe.each(allDocs())('%s', (file) => {
  test('every relative link resolves to a file (and heading) that exists', () => {
    expect(brokenLinks(file)).toEqual([]);
  });
});

test('the link scanner finds links and headings (a scanner that finds none would pass vacuously)', () => {
  expect(
    linkTargets('See [a](a.md#x), [b](<b c.md> "t") and `[c](c.md)`.\n\n[d]: ../d.md\n```\n[e](e.md)\n```\n'),
  ).toEqual(['a.md#x', 'b c.md', '../d.md']);
  expect([...headingIds('# A `b`: c\n## A b c\n## State: S3, local\n```\n# not\n```\n')]).toEqual([
    'a-b-c',
    'a-b-c-1',
    'state-s3-local',
  ]);
  expect(
    allDocs()
      .flatMap((f) => linkTargets(readDoc(f)))
      .filter((t) => !isExternal(t)).length,
  ).toBeGreaterThan(10);
});

/** The top folders of the repository: a path written in inline code that starts with one is checked. */
const TOP_FOLDERS = fs
  .readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
  .map((e) => e.name);

/** Repository paths in inline code (`testkit/wait.ts`, `e2e/page/`), without a `:line` or `#anchor`. */
export function codePaths(markdown: string, folders: readonly string[]): string[] {
  const text = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
  return [...text.matchAll(/`([^`\s]+)`/g)]
    .map((m) => (m[1] as string).replace(/[:#].*$/, ''))
    .filter((p) => folders.some((f) => p.startsWith(`${f}/`)) && !/[*<>{}$]/.test(p));
}

test('every repository path in inline code names a tracked file or folder, or an output git ignores', () => {
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  const known = new Set(tracked.flatMap((f) => f.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  const missing = allDocs().flatMap((file) =>
    codePaths(readDoc(file), TOP_FOLDERS)
      .filter((p) => !known.has(p.replace(/\/$/, '')))
      .map((p) => ({ file, path: p })),
  );
  // Outputs (service/dist, e2e/artifacts/, bench/tmp/...) are not tracked: git must ignore them. Whether they
  // exist yet or not: a rule for a folder (`service/dist/`) matches a path that does not exist only when
  // written as a folder, so a name without an extension is also tried with a slash.
  const ignored = (p: string) => {
    try {
      execFileSync('git', ['check-ignore', '--quiet', '--no-index', p], { cwd: ROOT });
      return true;
    } catch {
      return false;
    }
  };
  const notIgnored = missing.filter(
    ({ path: p }) => !ignored(p) && (p.endsWith('/') || /\.\w+$/.test(p) || !ignored(`${p}/`)),
  );
  expect(notIgnored.map(({ file, path: p }) => `${file}: ${p}`)).toEqual([]);
  expect(TOP_FOLDERS).toEqual(expect.arrayContaining(['__tests__', 'testkit', 'service', 'constructs']));
  expect(
    codePaths('`testkit/wait.ts:12` and `a/b` and `e2e/*.ts`\n```\n`docs/x.md`\n```\n', ['testkit', 'docs', 'e2e']),
  ).toEqual(['testkit/wait.ts']);
});
