/**
 * `npm run plan:comment -- [dir]`: the one pull-request comment of the plan review, from the summaries
 * `npm run plan` wrote under `dir` (default `cdktf.out/plan`), to `dir/comment.md`. The marker on its first
 * line is how the workflow finds the comment to update instead of adding another.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type PlanSummary } from './summary';

export const COMMENT_MARKER = '<!-- ws-graphql-aws:plan-review -->';

/** GitHub refuses comments over 65536 characters. */
export const MAX_COMMENT = 65_000;

/** The comment: a headline table of every stack, then each stack's Markdown summary. */
export function commentBody(stacks: ReadonlyArray<{ summary: PlanSummary; markdown: string }>, footer = ''): string {
  const head = [
    COMMENT_MARKER,
    '## Terraform plan review',
    '',
    '| stack | add | change | replace | destroy | needs allow-destroy |',
  ];
  head.push('| --- | --- | --- | --- | --- | --- |');
  for (const { summary: s } of stacks) {
    const c = s.counts;
    const flag = s.destructive.length > 0 ? `**yes** (${s.destructive.length})` : 'no';
    head.push(`| \`${s.stack}\` | ${c.add} | ${c.change} | ${c.replace} | ${c.destroy} | ${flag} |`);
  }
  const body = [...head, '', ...stacks.map((s) => s.markdown), footer].join('\n');
  if (body.length <= MAX_COMMENT) return body;
  const note = '\n\n_The summary is truncated: the full summaries are in the workflow artifact._\n';
  return body.slice(0, MAX_COMMENT - note.length) + note;
}

/** Reads `<dir>/<stack>/summary.json` and `summary.md` of every stack, by stack name. */
export function readSummaries(dir: string): Array<{ summary: PlanSummary; markdown: string }> {
  if (!fs.existsSync(dir)) throw new Error(`no plan summaries in ${dir}: run npm run plan first`);
  const stacks = fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'summary.json')))
    .sort();
  if (stacks.length === 0) throw new Error(`no plan summaries in ${dir}: run npm run plan first`);
  return stacks.map((name) => ({
    summary: JSON.parse(fs.readFileSync(path.join(dir, name, 'summary.json'), 'utf8')) as PlanSummary,
    markdown: fs.readFileSync(path.join(dir, name, 'summary.md'), 'utf8'),
  }));
}

if (require.main === module) {
  try {
    const dir = process.argv[2] ?? path.join('cdktf.out', 'plan');
    const footer = process.env.PLAN_COMMENT_FOOTER ?? '';
    fs.writeFileSync(path.join(dir, 'comment.md'), commentBody(readSummaries(dir), footer));
    process.stdout.write(`wrote ${path.join(dir, 'comment.md')}\n`);
  } catch (error) {
    process.stderr.write(`plan:comment: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
