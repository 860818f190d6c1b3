/** Reading the docs from tests: files, sections and fenced code blocks. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export function readDoc(relative: string): string {
  return fs.readFileSync(path.join(ROOT, relative), 'utf8');
}

/** README.md, CONTRIBUTING.md and every Markdown file under docs/, as paths relative to the root. */
export function allDocs(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f));
  return ['README.md', 'CONTRIBUTING.md', ...docs.sort()];
}

/**
 * The text from the heading `<#...> <title>` to the next heading of the same or a higher level; lines
 * inside fenced code blocks (shell comments) are not headings.
 */
export function section(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  let fenced = false;
  const levels = lines.map((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && /^#+ /.test(line) ? line.indexOf(' ') : 0;
  });
  const start = lines.findIndex((l, i) => levels[i] > 0 && l.slice(levels[i] + 1) === title);
  if (start < 0) throw new Error(`no heading "${title}"`);
  const end = levels.findIndex((level, i) => i > start && level > 0 && level <= levels[start]);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Fenced code blocks (with their info string, e.g. `ts`), in order. */
export function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));
}
